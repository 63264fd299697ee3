// Issue 16.2, HTTP hardening over real HTTP: body limits on every route family, form bodies at
// the token, revocation and introspection endpoints, security headers on every page, no-store
// on everything that carries a token, Secure cookies, request and keep-alive timeouts, CORS only
// where a browser client needs it, and schema introspection for admins only in production.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApplicationsDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorizePath, pkcePair } from "./helpers/agent.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { consoleToken } from "./helpers/people.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { CALLBACK, codeFor, registerWebApp, type WebApp } from "./helpers/user-apps.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let admin: Admin;
let web: WebApp;
let user: { email: string; password: string };

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Hardening");
  web = await registerWebApp(server, admin, "Hardened web", ["openid", "email"]);
  user = await createUser(server, admin.organizationDbId, "hard@example.test");
});
afterAll(async () => server?.close());

const tokenForm = { grant_type: "client_credentials", scope: "connect.applications.read" };

async function introspect(token: string) {
  return postForm(`${server.url}/oauth/introspect`, { token }, basic(admin.clientId, admin.clientSecret));
}

let people = 0;
/** A consent page for the web app, signed in as someone who has not consented yet. */
async function consentPage() {
  const user = await createUser(server, admin.organizationDbId, `person${++people}@example.test`);
  const agent = new Agent(server.url);
  const { challenge } = pkcePair();
  const first = await agent.request(
    authorizePath({ response_type: "code", client_id: web.clientId, redirect_uri: CALLBACK, scope: "openid email", state: "s", nonce: "n", code_challenge: challenge, code_challenge_method: "S256" }),
  );
  const login = await agent.login(user.email, user.password, first.location!);
  const page = await agent.request(login.location!);
  expect(page.text).toContain('name="decision"');
  return { agent, login, page };
}

describe("body limits", () => {
  const big = "x".repeat(17 * 1024);

  it("refuses an oversize form at every OAuth endpoint with 413, and changes nothing", async () => {
    const access = (await postForm(`${server.url}/oauth/token`, tokenForm, basic(admin.clientId, admin.clientSecret))).body.access_token as string;
    const cases: [string, Record<string, string>, Record<string, string>][] = [
      ["/oauth/token", { ...tokenForm, padding: big }, basic(admin.clientId, admin.clientSecret)],
      // A revocation that would succeed if it were read: the token must stay active.
      ["/oauth/revoke", { token: access, padding: big }, basic(admin.clientId, admin.clientSecret)],
      ["/oauth/introspect", { token: access, padding: big }, basic(admin.clientId, admin.clientSecret)],
      ["/oauth/userinfo", { padding: big }, { authorization: `Bearer ${access}` }],
      ["/oauth/login", { email: user.email, password: user.password, padding: big }, {}],
      ["/oauth/authorize", { decision: "approve", padding: big }, {}],
      ["/oauth/logout", { padding: big }, {}],
      ["/oauth/invitation", { token: "x", padding: big }, {}],
    ];
    for (const [path, form, headers] of cases) {
      const res = await postForm(`${server.url}${path}`, form, headers);
      expect(res.status, path).toBe(413);
      expect(res.headers.get("set-cookie"), path).toBeNull();
    }
    expect((await introspect(access)).body.active).toBe(true);
  });

  it("counts the bytes of a chunked body too, not only Content-Length", async () => {
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode(`padding${i}=${"y".repeat(1000)}&`));
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...basic(admin.clientId, admin.clientSecret) },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_request");
  });

  it("refuses a GraphQL body over HTTP_BODY_LIMIT (1 MiB) with 413 before running the mutation", async () => {
    const before = await graphql(server.url, admin.token, ApplicationsDocument, {});
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({
        query: "mutation($n: String!) { addClientSecret(input: { applicationId: $n }) { __typename } }",
        variables: { n: web.id, padding: "z".repeat(1024 * 1024) },
      }),
    });
    expect(res.status).toBe(413);
    const after = await graphql(server.url, admin.token, ApplicationsDocument, {});
    expect(JSON.stringify(after.data)).toBe(JSON.stringify(before.data));
  });
});

describe("form bodies at /oauth/token, /oauth/revoke and /oauth/introspect", () => {
  it("answers any other body with 400 invalid_request (RFC 6749 §5.2), never 415 and never a token", async () => {
    const bodies: [string, string | undefined][] = [
      ["application/json", JSON.stringify({ ...tokenForm, token: "t" })],
      ["text/plain", "grant_type=client_credentials&token=t"],
      ["multipart/form-data; boundary=b", '--b\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--b--\r\n'],
      ["application/xml", "<grant_type>client_credentials</grant_type>"],
    ];
    for (const path of ["/oauth/token", "/oauth/revoke", "/oauth/introspect"]) {
      for (const [type, body] of bodies) {
        const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": type, ...basic(admin.clientId, admin.clientSecret) }, body });
        expect(res.status, `${path} ${type}`).toBe(400);
        const json = (await res.json()) as { error: string; error_description: string };
        expect(json.error, `${path} ${type}`).toBe("invalid_request");
        expect(json.error_description).toContain("application/x-www-form-urlencoded");
      }
      const none = await fetch(`${server.url}${path}`, { method: "POST", headers: basic(admin.clientId, admin.clientSecret) });
      expect(none.status, `${path} without a body`).toBe(400);
    }
  });
});

describe("security headers on every page", () => {
  async function pages(): Promise<[string, Response | { headers: Headers; text: string; status: number }][]> {
    const { page } = await consentPage();
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });
    return [
      ["home", await get("/")],
      ["sign-in", await get((await new Agent(server.url).request(authorizePath({ response_type: "code", client_id: web.clientId, redirect_uri: CALLBACK, scope: "openid", state: "s", nonce: "n", code_challenge: pkcePair().challenge, code_challenge_method: "S256" }))).location!)],
      ["consent", page],
      ["authorization error page", await get("/oauth/authorize?client_id=nobody")],
      ["invitation", await get("/oauth/invitation?token=unknown")],
      ["password reset", await get("/oauth/reset?token=unknown")],
      ["sign-out", await get("/oauth/logout")],
      ["console", await get("/console")],
      ["console route", await get("/console/applications")],
      ["GraphiQL", await get("/graphql", { accept: "text/html" })],
    ];
  }

  it("sends a CSP without inline scripts, frame-ancestors 'none', no-referrer and nosniff, and holds no inline script", async () => {
    for (const [name, res] of await pages()) {
      const text = "text" in res && typeof res.text === "string" ? res.text : await (res as Response).text();
      expect(res.headers.get("content-type"), name).toMatch(/^text\/html/);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, name).toContain("frame-ancestors 'none'");
      expect(csp, name).toMatch(/default-src 'none'/);
      const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? "";
      expect(scriptSrc, name).not.toContain("unsafe-inline");
      expect(scriptSrc, name).not.toContain("unsafe-eval");
      expect(res.headers.get("referrer-policy"), name).toBe("no-referrer");
      expect(res.headers.get("x-frame-options"), name).toBe("DENY");
      expect(res.headers.get("x-content-type-options"), name).toBe("nosniff");
      // No inline script element and no inline event handler: the CSP would block them anyway.
      expect(text, name).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(text, name).not.toMatch(/\son[a-z]+\s*=/i);
    }
  });

  it("gives every other answer a CSP that loads nothing and may not be framed", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });
});

describe("Cache-Control: no-store and Pragma: no-cache", () => {
  it("on every answer that carries a token, a code, a secret or a session", async () => {
    const noStore = (name: string, headers: Headers) => {
      expect(headers.get("cache-control"), name).toBe("no-store");
      expect(headers.get("pragma"), name).toBe("no-cache");
    };
    const token = await postForm(`${server.url}/oauth/token`, tokenForm, basic(admin.clientId, admin.clientSecret));
    expect(token.status).toBe(200);
    noStore("token", token.headers);
    noStore("token error", (await postForm(`${server.url}/oauth/token`, tokenForm, basic(admin.clientId, "sk_wrong"))).headers);
    noStore("introspection", (await introspect(token.body.access_token as string)).headers);
    noStore("revocation", (await postForm(`${server.url}/oauth/revoke`, { token: "unknown" }, basic(admin.clientId, admin.clientSecret))).headers);
    noStore("graphql", (await graphql(server.url, admin.token, ApplicationsDocument, {})).headers);
    const { agent, login, page } = await consentPage();
    noStore("sign-in answer", new Headers({ "cache-control": login.headers.get("cache-control") ?? "", pragma: login.headers.get("pragma") ?? "" }));
    noStore("consent page", page.headers);
    const decision = await agent.request("/oauth/authorize", { form: { ...Agent.formFields(page.text), decision: "approve" } });
    expect(decision.location).toContain("code=");
    noStore("redirect with the code", decision.headers);
    const { code, verifier } = await codeFor(server, web, user, "openid");
    const person = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier },
      basic(web.clientId, web.secret),
    );
    noStore("token with an id token", person.headers);
    noStore("userinfo", (await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${person.body.access_token as string}` } })).headers);
  });

  it("but lets public documents be cached", async () => {
    expect((await fetch(`${server.url}/.well-known/jwks.json`)).headers.get("cache-control")).toMatch(/^public, max-age=/);
    expect((await fetch(`${server.url}/.well-known/openid-configuration`)).headers.get("cache-control")).toMatch(/^public, max-age=/);
  });
});

describe("cookies", () => {
  it("are Secure, HttpOnly and SameSite=Lax outside development", async () => {
    const { agent } = await consentPage();
    expect(agent.setCookieHeaders.length).toBeGreaterThan(1);
    for (const c of agent.setCookieHeaders) {
      expect(c).toMatch(/;\s*Secure/i);
      expect(c).toMatch(/;\s*HttpOnly/i);
      expect(c).toMatch(/;\s*SameSite=Lax/i);
    }
  });

  it("are not Secure in development, where http://127.0.0.1 is the norm", async () => {
    const dev = await startTestServer({ env: { NODE_ENV: "development" } });
    try {
      const res = await fetch(`${dev.url}/oauth/login`);
      const cookies = res.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const c of cookies) expect(c).not.toMatch(/;\s*Secure/i);
    } finally {
      await dev.close();
    }
  });
});

describe("CORS", () => {
  const origin = "https://spa.example.test";

  it("lets a browser app on another origin call token, revoke, userinfo, discovery and keys, without credentials", async () => {
    for (const path of ["/oauth/token", "/oauth/revoke", "/oauth/userinfo"]) {
      const pre = await fetch(`${server.url}${path}`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
      });
      expect(pre.status, path).toBe(204);
      expect(pre.headers.get("access-control-allow-origin"), path).toBe("*");
      expect(pre.headers.get("access-control-allow-methods"), path).toContain("POST");
      expect(pre.headers.get("access-control-allow-headers")?.toLowerCase(), path).toContain("authorization");
      expect(pre.headers.get("access-control-allow-credentials"), path).toBeNull();
    }
    const token = await postForm(`${server.url}/oauth/token`, tokenForm, { ...basic(admin.clientId, admin.clientSecret), origin });
    expect(token.headers.get("access-control-allow-origin")).toBe("*");
    for (const path of ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server", "/.well-known/jwks.json"]) {
      const res = await fetch(`${server.url}${path}`, { headers: { origin } });
      expect(res.headers.get("access-control-allow-origin"), path).toBe("*");
    }
  });

  it("exposes the challenge and request id to the app, answers a GET preflight for keys, and refuses an OPTIONS that is no preflight", async () => {
    const failed = await postForm(`${server.url}/oauth/token`, tokenForm, { ...basic(admin.clientId, "wrong-secret"), origin });
    expect(failed.status).toBe(401);
    expect(failed.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("www-authenticate");
    const keys = await fetch(`${server.url}/.well-known/jwks.json`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "GET" } });
    expect(keys.status).toBe(204);
    expect(keys.headers.get("access-control-max-age")).toBe("600");
    // An OPTIONS without Access-Control-Request-Method is not a CORS preflight.
    const bare = await fetch(`${server.url}/oauth/token`, { method: "OPTIONS", headers: { origin } });
    expect(bare.status).toBe(400);
    expect(((await bare.json()) as { error: string }).error).toBe("invalid_request");
  });

  it("never on the authorization endpoint, the sign-in pages, introspection or the admin API", async () => {
    for (const path of ["/oauth/authorize", "/oauth/login", "/oauth/introspect", "/graphql", "/oauth/logout"]) {
      const pre = await fetch(`${server.url}${path}`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
      });
      expect(pre.headers.get("access-control-allow-origin"), `OPTIONS ${path}`).toBeNull();
      expect(pre.headers.get("access-control-allow-credentials"), `OPTIONS ${path}`).toBeNull();
    }
    const gql = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { origin, "content-type": "application/json", authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ query: "{ viewer { kind } }" }),
    });
    expect(gql.headers.get("access-control-allow-origin")).toBeNull();
    const authz = await fetch(`${server.url}/oauth/authorize?client_id=${web.clientId}`, { headers: { origin }, redirect: "manual" });
    expect(authz.headers.get("access-control-allow-origin")).toBeNull();
    const intro = await introspect("x");
    expect(intro.headers.get("access-control-allow-origin")).toBeNull();
  });
});

/** A raw HTTP/1.1 connection: what a slow or idle client looks like to the server. */
function rawConnection(url: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = "";
  socket.on("data", (c: Buffer) => (received += c.toString()));
  const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(Date.now())));
  socket.on("error", () => undefined);
  return { socket, closed, received: () => received };
}

describe("timeouts", () => {
  let timed: TestServer;
  beforeAll(async () => {
    timed = await startTestServer({ env: { HTTP_REQUEST_TIMEOUT_MS: "1000", HTTP_KEEP_ALIVE_TIMEOUT_MS: "500" } });
  });
  afterAll(async () => timed?.close());

  it("cuts off a client that sends its body very slowly (slowloris) after HTTP_REQUEST_TIMEOUT_MS", async () => {
    const { socket, closed, received } = rawConnection(timed.url);
    await new Promise((r) => socket.once("connect", r));
    const started = Date.now();
    socket.write(`POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n`);
    // One byte every 100 ms: 20 s for the whole body if nobody stopped it.
    const drip = setInterval(() => socket.writable && socket.write("a"), 100);
    const end = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 8000))]);
    clearInterval(drip);
    socket.destroy();
    expect(end).toBeGreaterThan(0);
    expect(end - started).toBeLessThan(4000);
    expect(received()).toMatch(/^HTTP\/1.1 408/);
  });

  it("closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS, and serves ordinary requests", async () => {
    const { socket, closed, received } = rawConnection(timed.url);
    await new Promise((r) => socket.once("connect", r));
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
    const answered = Date.now();
    const end = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    socket.destroy();
    expect(received()).toMatch(/^HTTP\/1.1 200/);
    expect(end).toBeGreaterThan(0);
    expect(end - answered).toBeLessThan(3000);
  });
});

describe("GraphQL schema introspection in production", () => {
  let prod: TestServer;
  let prodAdmin: Admin;
  let member: string;
  beforeAll(async () => {
    prod = await startTestServer({ env: { NODE_ENV: "production" } });
    prodAdmin = await bootstrapAdmin(prod, "Prod");
    const person = await createUser(prod, prodAdmin.organizationDbId, "member@example.test");
    member = (await consoleToken(prod, person, "openid connect.applications.read")).accessToken;
  });
  afterAll(async () => prod?.close());

  const ask = async (token: string, query: string) => {
    const res = await fetch(`${prod.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return { status: res.status, json: (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] } };
  };

  it("is refused to a token that is not an admin's, which still gets __typename and its data", async () => {
    for (const query of ["{ __schema { types { name } } }", '{ __type(name: "Query") { name } }']) {
      const res = await ask(member, query);
      expect(res.json.errors?.[0]?.message, query).toMatch(/introspection/i);
      expect(res.json.data, query).toBeUndefined();
    }
    const plain = await ask(member, "{ __typename viewer { kind } }");
    expect(plain.json.errors).toBeUndefined();
    expect(plain.json.data).toEqual({ __typename: "Query", viewer: { kind: "USER" } });
  });

  it("is available to an admin token (DESIGN: in every environment)", async () => {
    const res = await ask(prodAdmin.token, "{ __schema { queryType { name } } }");
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });

  it("does not suggest field names in production", async () => {
    const res = await ask(prodAdmin.token, "{ viewr { kind } }");
    expect(res.json.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});
