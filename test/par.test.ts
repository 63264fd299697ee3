// Pushed authorization requests (RFC 9126) over real HTTP: a client pushes its authorization
// parameters to /oauth/par (authenticating as at the token endpoint), sends the browser with
// only client_id and request_uri, and the request is checked before sign-in, survives a reload
// during sign-in, and is used up when its code is issued.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../src/crypto/random.ts";
import { sweepExpired } from "../src/db/janitor.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorize, authorizePath, pkcePair } from "./helpers/agent.ts";
import { ASSERTION_TYPE, clientAssertion, jwksOf, newClientKey, rawGraphql, type ClientKey } from "./helpers/client-keys.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { CALLBACK, registerWebApp, type WebApp } from "./helpers/user-apps.ts";
import { createUser } from "./helpers/users.ts";

const PREFIX = "urn:ietf:params:oauth:request_uri:";
const SCOPE = "openid knowledge.portalmgr.read";

let server: TestServer;
let admin: Admin;
let web: WebApp;
let other: WebApp;
let signer: { clientId: string; key: ClientKey };
let native: { id: string; clientId: string };
let alice: { email: string; password: string };

const CREATE = `mutation($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) {
  __typename
  ... on CreateConnectApplicationSuccess { application { id clientId requirePushedAuthorizationRequests } }
  ... on ValidationError { fieldErrors { path code message } } } }`;
const UPDATE = `mutation($input: UpdateConnectApplicationInput!) { updateConnectApplication(input: $input) {
  __typename
  ... on UpdateConnectApplicationSuccess { application { id requirePushedAuthorizationRequests } }
  ... on ValidationError { fieldErrors { path code message } } } }`;
const GRANT = `mutation($input: GrantScopesInput!) { grantScopes(input: $input) { __typename } }`;

async function gql(query: string, variables: Record<string, unknown>) {
  const res = await rawGraphql(server.url, query, variables, { authorization: `Bearer ${admin.token}` });
  return res.body.data as Record<string, any>;
}

async function oauthApp(input: Record<string, unknown>) {
  const made = (await gql(CREATE, { input: { applicationType: "OAUTH", isFirstParty: false, organizationId: admin.organizationId, redirectUris: [{ uri: CALLBACK }], ...input } }))
    .createConnectApplication;
  if (made.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(made));
  await gql(GRANT, { input: { applicationId: made.application.id, kind: "DELEGATED", scopes: ["openid", "knowledge.portalmgr.read"] } });
  return made.application as { id: string; clientId: string; requirePushedAuthorizationRequests: boolean };
}

function authorizationParams(clientId: string, extra: Record<string, string> = {}) {
  const pkce = pkcePair();
  const params: Record<string, string> = {
    client_id: clientId,
    response_type: "code",
    redirect_uri: CALLBACK,
    scope: SCOPE,
    state: "st-1",
    nonce: "n-1",
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
    ...extra,
  };
  return { params, verifier: pkce.verifier };
}

const push = (form: Record<string, string>, headers: Record<string, string> = {}) => postForm(`${server.url}/oauth/par`, form, headers);

/** Pushes as the confidential web app (client_secret_basic) and returns the request_uri. */
async function pushed(extra: Record<string, string> = {}, app: WebApp = web) {
  const { params, verifier } = authorizationParams(app.clientId, extra);
  const res = await push(params, basic(app.clientId, app.secret));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { requestUri: res.body.request_uri as string, verifier };
}

const redeem = (app: WebApp, code: string, verifier: string) =>
  postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, basic(app.clientId, app.secret));

const errorOnPage = (html: string) => /<dt>Error<\/dt><dd><code>([^<]+)<\/code>/.exec(html)?.[1];

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Pushers Ltd");
  web = await registerWebApp(server, admin, "Pushed Reports", ["openid", "knowledge.portalmgr.read"]);
  other = await registerWebApp(server, admin, "Other Reports", ["openid", "knowledge.portalmgr.read"]);
  const key = await newClientKey("ES256");
  const s = await oauthApp({ name: "Signed Pusher", platform: "WEB", tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwks: JSON.stringify(jwksOf(key)) });
  signer = { clientId: s.clientId, key };
  native = await oauthApp({ name: "Native Pusher", platform: "NATIVE", usesPkce: true, redirectUris: [{ uri: CALLBACK }] });
  alice = await createUser(server, admin.organizationDbId, "alice@pushers.test");
});
afterAll(async () => server?.close());

describe("metadata", () => {
  it("names the endpoint and says PAR is not required server-wide by default", async () => {
    const doc = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(doc.pushed_authorization_request_endpoint).toBe(`${server.url}/oauth/par`);
    expect(doc.require_pushed_authorization_requests).toBe(false);
  });
});

describe("POST /oauth/par", () => {
  it("answers 201 with a request_uri of 256 random bits that lives 60 s, stored only as a hash", async () => {
    const { params } = authorizationParams(web.clientId);
    const res = await push(params, basic(web.clientId, web.secret));
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body.expires_in).toBe(60);
    const uri = res.body.request_uri as string;
    expect(uri.startsWith(PREFIX)).toBe(true);
    const reference = uri.slice(PREFIX.length);
    expect(Buffer.from(reference, "base64url").length).toBeGreaterThanOrEqual(16);
    const row = await server.services.db.pushedAuthorizationRequest.findUniqueOrThrow({ where: { requestUriHash: sha256(reference) } });
    expect(JSON.stringify(row)).not.toContain(reference);
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(60_000);
  });

  it("authenticates the client with every method the token endpoint accepts", async () => {
    // client_secret_post
    const post = await push({ ...authorizationParams(web.clientId).params, client_secret: web.secret });
    expect(post.status, JSON.stringify(post.body)).toBe(201);
    // private_key_jwt (aud = the issuer)
    const assertion = await clientAssertion(signer.key, signer.clientId, server.url);
    const jwt = await push({ ...authorizationParams(signer.clientId).params, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
    expect(jwt.status, JSON.stringify(jwt.body)).toBe(201);
    // none: a public NATIVE app names itself
    const none = await push(authorizationParams(native.clientId).params);
    expect(none.status, JSON.stringify(none.body)).toBe(201);
  });

  it("refuses a confidential client without its secret, or with a wrong one: 401 invalid_client, nothing stored", async () => {
    const before = await server.services.db.pushedAuthorizationRequest.count();
    const bare = await push(authorizationParams(web.clientId).params);
    expect(bare.status).toBe(401);
    expect(bare.body.error).toBe("invalid_client");
    const wrong = await push(authorizationParams(web.clientId).params, basic(web.clientId, "sk_wrong"));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe("invalid_client");
    const assertion = await clientAssertion(signer.key, signer.clientId, `${server.url}/oauth/par`);
    const badAud = await push({ ...authorizationParams(signer.clientId).params, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
    expect(badAud.status).toBe(401);
    expect(await server.services.db.pushedAuthorizationRequest.count()).toBe(before);
  });

  it("validates the parameters at push time exactly as /oauth/authorize does", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ redirect_uri: "https://evil.example/cb" }, "invalid_request"],
      [{ scope: "knowledge.portalmgr.write" }, "invalid_scope"],
      [{ response_type: "token" }, "unsupported_response_type"],
      [{ code_challenge_method: "plain" }, "invalid_request"],
      [{ scope: "openid", nonce: "" }, "invalid_request"],
    ];
    for (const [change, code] of cases) {
      const { params } = authorizationParams(web.clientId, change);
      const pushedRes = await push(params, basic(web.clientId, web.secret));
      expect(pushedRes.status, JSON.stringify(change)).toBe(400);
      expect(pushedRes.body.error, JSON.stringify(change)).toBe(code);
      // The same request sent to /oauth/authorize fails with the same code.
      const res = await new Agent(server.url).request(authorizePath(params));
      const answered = res.status === 303 ? new URL(res.location!).searchParams.get("error") : errorOnPage(res.text);
      expect(answered, JSON.stringify(change)).toBe(code);
    }
    // A public client without PKCE.
    const { params } = authorizationParams(native.clientId);
    delete params.code_challenge;
    delete params.code_challenge_method;
    const noPkce = await push(params);
    expect(noPkce.status).toBe(400);
    expect(noPkce.body.error).toBe("invalid_request");
  });

  it("answers any method but POST with 405 and Allow: POST", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await fetch(`${server.url}/oauth/par`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });

  it("refuses a request_uri inside a push: invalid_request", async () => {
    const { requestUri } = await pushed();
    const res = await push({ ...authorizationParams(web.clientId).params, request_uri: requestUri }, basic(web.clientId, web.secret));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_request");
  });

  it("keeps only authorization parameters: the secret sent in the body is not stored", async () => {
    const res = await push({ ...authorizationParams(web.clientId).params, client_secret: web.secret });
    const reference = (res.body.request_uri as string).slice(PREFIX.length);
    const row = await server.services.db.pushedAuthorizationRequest.findUniqueOrThrow({ where: { requestUriHash: sha256(reference) } });
    expect(row.params).not.toContain(web.secret);
    expect(Object.keys(JSON.parse(row.params) as object).sort()).toEqual(["client_id", "code_challenge", "code_challenge_method", "nonce", "redirect_uri", "response_type", "scope", "state"]);
  });
});

describe("GET /oauth/authorize?client_id&request_uri", () => {
  it("runs the pushed request through sign-in and consent to a code the token endpoint redeems", async () => {
    const { requestUri, verifier } = await pushed();
    const url = await authorize(new Agent(server.url), { client_id: web.clientId, request_uri: requestUri }, alice);
    expect(url.origin + url.pathname).toBe(CALLBACK);
    expect(url.searchParams.get("state")).toBe("st-1");
    const token = await redeem(web, url.searchParams.get("code")!, verifier);
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body.scope).toBe(SCOPE);
  });

  it("is used up when its code is issued: the same request_uri again is invalid_request_uri", async () => {
    const { requestUri } = await pushed();
    const agent = new Agent(server.url);
    await authorize(agent, { client_id: web.clientId, request_uri: requestUri }, alice);
    const again = await agent.request(authorizePath({ client_id: web.clientId, request_uri: requestUri }));
    expect(again.status).toBe(400);
    expect(errorOnPage(again.text)).toBe("invalid_request_uri");
    // The person is told the link is spent, not that it is wrong.
    expect(again.text).toContain("has expired or was already used");
    expect(again.text).toContain("sign in again from there");
    expect(again.text).not.toContain("the link that brought you here is wrong");
    expect(await server.services.db.pushedAuthorizationRequest.findUnique({ where: { requestUriHash: sha256(requestUri.slice(PREFIX.length)) } })).toBeNull();
  });

  it("is checked before sign-in: an unknown, another client's or a malformed request_uri is a page, not the sign-in form", async () => {
    const { requestUri } = await pushed();
    const agent = new Agent(server.url);
    for (const [clientId, uri] of [
      [web.clientId, `${PREFIX}${"A".repeat(43)}`],
      [other.clientId, requestUri],
      [web.clientId, "https://attacker.example/request.jwt"],
      [web.clientId, requestUri.slice(0, -1)],
    ] as const) {
      const res = await agent.request(authorizePath({ client_id: clientId, request_uri: uri }));
      expect(res.status, uri).toBe(400);
      expect(errorOnPage(res.text), uri).toBe("invalid_request_uri");
    }
    const noClient = await agent.request(authorizePath({ request_uri: requestUri }));
    expect(noClient.status).toBe(400);
    expect(errorOnPage(noClient.text)).toBe("invalid_request");
    // The right client still gets through: a mismatch did not spend the request.
    const ok = await agent.request(authorizePath({ client_id: web.clientId, request_uri: requestUri }));
    expect(ok.status).toBe(303);
    expect(ok.location).toMatch(/^\/oauth\/login/);
  });

  it("validates the pushed parameters again when the browser comes: a scope revoked since the push is refused before sign-in", async () => {
    const app = await registerWebApp(server, admin, "Shrinking Reports", ["openid", "knowledge.portalmgr.read"]);
    const { requestUri } = await pushed({}, app);
    const revoked = await gql(`mutation($input: RevokeScopesInput!) { revokeScopes(input: $input) { __typename } }`, {
      input: { applicationId: app.id, kind: "DELEGATED", scopes: ["knowledge.portalmgr.read"] },
    });
    expect(revoked.revokeScopes.__typename).toBe("RevokeScopesSuccess");
    const res = await new Agent(server.url).request(authorizePath({ client_id: app.clientId, request_uri: requestUri }));
    expect(res.status, res.location ?? res.text.slice(0, 500)).toBe(303);
    const back = new URL(res.location!);
    expect(back.origin + back.pathname).toBe(CALLBACK);
    expect(back.searchParams.get("error")).toBe("invalid_scope");
    expect(back.searchParams.get("state")).toBe("st-1");
  });

  it("survives reloads during sign-in and a person slower than the push's 60 seconds", async () => {
    const { requestUri, verifier } = await pushed();
    const agent = new Agent(server.url);
    const path = authorizePath({ client_id: web.clientId, request_uri: requestUri });
    const first = await agent.request(path);
    expect(first.location).toMatch(/^\/oauth\/login/);
    // The sign-in page sends the browser back to the reference, not to the pushed parameters.
    const returnTo = new URL(first.location!, server.url).searchParams.get("return_to")!;
    expect(new URL(returnTo, server.url).searchParams.get("request_uri")).toBe(requestUri);
    expect(returnTo).not.toContain("code_challenge");
    const key = sha256(requestUri.slice(PREFIX.length));
    const row = await server.services.db.pushedAuthorizationRequest.findUniqueOrThrow({ where: { requestUriHash: key } });
    expect(row.startedAt).not.toBeNull();
    expect(row.expiresAt.getTime() - Date.now()).toBeGreaterThan(9 * 60_000);
    // Reloads: the same answer each time.
    for (let i = 0; i < 2; i++) expect((await agent.request(path)).location).toBe(first.location);
    const url = await authorize(agent, { client_id: web.clientId, request_uri: requestUri }, alice);
    expect((await redeem(web, url.searchParams.get("code")!, verifier)).status).toBe(200);
  });

  it("an expired request_uri is invalid_request_uri, before and after a browser brought it", async () => {
    for (const started of [false, true]) {
      const { requestUri } = await pushed();
      const key = sha256(requestUri.slice(PREFIX.length));
      const path = authorizePath({ client_id: web.clientId, request_uri: requestUri });
      if (started) expect((await new Agent(server.url).request(path)).status).toBe(303);
      await server.services.db.pushedAuthorizationRequest.update({ where: { requestUriHash: key }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const res = await new Agent(server.url).request(path);
      expect(res.status).toBe(400);
      expect(errorOnPage(res.text)).toBe("invalid_request_uri");
    }
    // The janitor sweeps them.
    await sweepExpired(server.services.db);
    expect(await server.services.db.pushedAuthorizationRequest.count({ where: { expiresAt: { lt: new Date() } } })).toBe(0);
  });

  it("two consent decisions racing on one pushed request: one code, the other invalid_request_uri", async () => {
    const app = await registerWebApp(server, admin, "Racing Reports", ["openid", "knowledge.portalmgr.read"]);
    const { requestUri } = await pushed({}, app);
    const agent = new Agent(server.url);
    const first = await agent.request(authorizePath({ client_id: app.clientId, request_uri: requestUri }));
    const login = await agent.login(alice.email, alice.password, first.location!);
    const consent = await agent.request(login.location!);
    expect(consent.text).toContain('name="decision"');
    const fields = Agent.formFields(consent.text);
    expect(fields.request_uri).toBe(requestUri);
    expect(fields.code_challenge).toBeUndefined();
    const answers = await Promise.all([0, 1].map(() => agent.request("/oauth/authorize", { form: { ...fields, decision: "approve" } })));
    const codes = answers.filter((a) => a.status === 303 && new URL(a.location!).searchParams.get("code"));
    expect(codes).toHaveLength(1);
    const loser = answers.find((a) => a !== codes[0])!;
    expect(loser.status).toBe(400);
    expect(errorOnPage(loser.text)).toBe("invalid_request_uri");
  });

  it("a denial does not use the request up", async () => {
    const app = await registerWebApp(server, admin, "Denied Reports", ["openid", "knowledge.portalmgr.read"]);
    const { requestUri } = await pushed({}, app);
    const agent = new Agent(server.url);
    const first = await agent.request(authorizePath({ client_id: app.clientId, request_uri: requestUri }));
    const login = await agent.login(alice.email, alice.password, first.location!);
    const consent = await agent.request(login.location!);
    const denied = await agent.request("/oauth/authorize", { form: { ...Agent.formFields(consent.text), decision: "deny" } });
    expect(new URL(denied.location!).searchParams.get("error")).toBe("access_denied");
    expect(await server.services.db.pushedAuthorizationRequest.count({ where: { requestUriHash: sha256(requestUri.slice(PREFIX.length)) } })).toBe(1);
  });

  it("prompt=login in a pushed request asks for a sign-in once, then goes on (no loop)", async () => {
    const agent = new Agent(server.url);
    await authorize(agent, authorizationParams(web.clientId).params, alice); // signed in, consented
    const { requestUri, verifier } = await pushed({ prompt: "login" });
    const res = await agent.request(authorizePath({ client_id: web.clientId, request_uri: requestUri }));
    expect(res.location).toMatch(/^\/oauth\/login/);
    const login = await agent.login(alice.email, alice.password, res.location!);
    const back = await agent.request(login.location!);
    expect(back.status).toBe(303);
    const code = new URL(back.location!, server.url).searchParams.get("code");
    expect(code).toBeTruthy();
    expect((await redeem(web, code!, verifier)).status).toBe(200);
  });
});

describe("requiring PAR", () => {
  it("per application (GraphQL): plain requests are refused, pushed ones work; the field reads back and can be turned off", async () => {
    const made = await oauthApp({ name: "Strict Pusher", platform: "NATIVE", usesPkce: true, requirePushedAuthorizationRequests: true });
    expect(made.requirePushedAuthorizationRequests).toBe(true);
    const { params } = authorizationParams(made.clientId);
    const plain = await new Agent(server.url).request(authorizePath(params));
    expect(plain.status).toBe(303);
    expect(new URL(plain.location!).searchParams.get("error")).toBe("invalid_request");
    expect(new URL(plain.location!).searchParams.get("error_description")).toMatch(/par/);
    const res = await push(params);
    expect(res.status).toBe(201);
    const viaPar = await new Agent(server.url).request(authorizePath({ client_id: made.clientId, request_uri: res.body.request_uri as string }));
    expect(viaPar.location).toMatch(/^\/oauth\/login/);

    const updated = (await gql(UPDATE, { input: { id: made.id, requirePushedAuthorizationRequests: false } })).updateConnectApplication;
    expect(updated.application.requirePushedAuthorizationRequests).toBe(false);
    const again = await new Agent(server.url).request(authorizePath(authorizationParams(made.clientId).params));
    expect(again.location).toMatch(/^\/oauth\/login/);
  });

  it("through dynamic registration: require_pushed_authorization_requests is kept and read back", async () => {
    const token = (
      await gql(`mutation($i: CreateRegistrationTokenInput!) { createRegistrationToken(input: $i) { __typename ... on CreateRegistrationTokenSuccess { plaintext } } }`, {
        i: { organizationId: admin.organizationId },
      })
    ).createRegistrationToken.plaintext as string;
    const register = (body: unknown) =>
      fetch(`${server.url}/oauth/register`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const bad = await register({ client_name: "Bad", redirect_uris: [CALLBACK], require_pushed_authorization_requests: "yes" });
    expect(bad.status).toBe(400);
    const res = await register({ client_name: "Registered Pusher", redirect_uris: [CALLBACK], require_pushed_authorization_requests: true });
    const info = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(info)).toBe(201);
    expect(info.require_pushed_authorization_requests).toBe(true);
    const row = await server.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: info.client_id as string } });
    expect(row.requirePushedAuthorizationRequests).toBe(true);
  });

  it("server-wide (REQUIRE_PAR=true): in the metadata, every application must push, the console still signs in", async () => {
    const strict = await startTestServer({ env: { REQUIRE_PAR: "true" } });
    try {
      const doc = (await (await fetch(`${strict.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(doc.require_pushed_authorization_requests).toBe(true);
      const boss = await bootstrapAdmin(strict, "Strict Corp");
      const app = await registerWebApp(strict, boss, "Strict Reports", ["openid", "knowledge.portalmgr.read"]);
      const { params } = authorizationParams(app.clientId);
      const plain = await new Agent(strict.url).request(authorizePath(params));
      expect(new URL(plain.location!).searchParams.get("error")).toBe("invalid_request");
      const res = await postForm(`${strict.url}/oauth/par`, params, basic(app.clientId, app.secret));
      expect(res.status).toBe(201);
      const viaPar = await new Agent(strict.url).request(authorizePath({ client_id: app.clientId, request_uri: res.body.request_uri as string }));
      expect(viaPar.location).toMatch(/^\/oauth\/login/);
      const pkce = pkcePair();
      const console = await new Agent(strict.url).request(
        authorizePath({
          client_id: "scopekeeper-console",
          response_type: "code",
          redirect_uri: `${strict.url}/console/callback`,
          scope: "openid",
          nonce: "n",
          code_challenge: pkce.challenge,
          code_challenge_method: "S256",
        }),
      );
      expect(console.location).toMatch(/^\/oauth\/login/);
    } finally {
      await strict.close();
    }
  });
});
