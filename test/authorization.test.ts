// Users authorize applications: the authorization endpoint, sign-in, consent, codes with
// PKCE, refresh-token rotation, OpenID Connect basics, revocation, introspection and logout,
// all over real HTTP.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atHash } from "../src/oauth/issuance/index.ts";
import { AddSecretDocument, CreateApplicationDocument, GrantScopesDocument, OrganizationMembersDocument, RevokeScopesDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorize, authorizePath, pkcePair } from "./helpers/agent.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { startTestServer, TEST_ARGON2_ENV, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let admin: Admin;
let outsiderOrg: Admin;
let alice: { id: string; email: string; password: string };
let mallory: { id: string; email: string; password: string };

interface App {
  id: string;
  clientId: string;
  secret?: string;
}
let web: App;
let spa: App;

const CALLBACK = "https://client.example.test/callback";
const LOGOUT = "https://client.example.test/bye";

async function registerApp(input: Record<string, unknown>, scopes: string[], withSecret: boolean): Promise<App> {
  const res = await graphql(server.url, admin.token, CreateApplicationDocument, {
    input: {
      applicationType: "OAUTH",
      isFirstParty: false,
      organizationId: admin.organizationId,
      redirectUris: [{ uri: CALLBACK }, { uri: `${CALLBACK}2` }],
      postLogoutRedirectUris: [LOGOUT],
      ...input,
    } as never,
  });
  const r = res.data.createConnectApplication;
  if (r.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(r));
  const g = await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: r.application.id, scopes, kind: "DELEGATED" } });
  if (g.data.grantScopes.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(g.data));
  const app: App = { id: r.application.id, clientId: r.application.clientId };
  if (withSecret) {
    const s = await graphql(server.url, admin.token, AddSecretDocument, { input: { applicationId: app.id } });
    if (s.data.addClientSecret.__typename !== "AddClientSecretSuccess") throw new Error();
    app.secret = s.data.addClientSecret.plaintext;
  }
  return app;
}

const tokenRequest = (form: Record<string, string>, app: App) =>
  postForm(`${server.url}/oauth/token`, app.secret ? form : { ...form, client_id: app.clientId }, app.secret ? basic(app.clientId, app.secret) : {});

/** Runs the whole front channel and the code exchange; returns the token response. */
async function fullFlow(app: App, scope: string, agent = new Agent(server.url), user = alice, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkcePair();
  const url = await authorize(agent, { response_type: "code", client_id: app.clientId, redirect_uri: CALLBACK, scope, state: "s1", nonce: "n1", code_challenge: challenge, code_challenge_method: "S256", ...extra }, user);
  const code = url.searchParams.get("code");
  if (!code) throw new Error(`no code: ${url}`);
  const res = await tokenRequest({ grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, app);
  return { res, agent, code, verifier };
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Acme");
  outsiderOrg = await bootstrapAdmin(server, "Outsiders");
  alice = await createUser(server, admin.organizationDbId, "alice@acme.test", "alice password 1", "MEMBER", "Alice Example");
  mallory = await createUser(server, outsiderOrg.organizationDbId, "mallory@outsiders.test", "mallory password");
  web = await registerApp(
    { name: "Acme Reports", description: "Reports for Acme", platform: "WEB", logoUri: "https://client.example.test/logo.png" },
    ["openid", "profile", "email", "offline_access", "knowledge.portalmgr.read", "core.users.read"],
    true,
  );
  spa = await registerApp({ name: "Acme SPA", platform: "SPA" }, ["openid", "offline_access", "knowledge.portalmgr.read"], false);
});
afterAll(async () => server?.close());

describe("GET /oauth/authorize: checks before anyone signs in", () => {
  const base = () => ({ response_type: "code", client_id: web.clientId, redirect_uri: CALLBACK, scope: "knowledge.portalmgr.read", state: "xyz" });

  it("shows an error page, never a redirect, for an unknown client or an unregistered redirect URI", async () => {
    const agent = new Agent(server.url);
    for (const params of [
      { ...base(), client_id: "nope" },
      { ...base(), client_id: undefined },
      { ...base(), redirect_uri: "https://evil.example.test/callback" },
      { ...base(), redirect_uri: `${CALLBACK}/` },
      { ...base(), redirect_uri: CALLBACK.toUpperCase() },
    ]) {
      const res = await agent.request(authorizePath(params));
      expect(res.status).toBe(400);
      expect(res.location).toBeNull();
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      expect(res.text).toContain("This sign-in link is not valid");
    }
  });

  it("sends every other error back to the redirect URI with state and iss, before sign-in", async () => {
    const agent = new Agent(server.url);
    const cases: [Record<string, string | undefined>, string][] = [
      [{ response_type: "token" }, "unsupported_response_type"],
      [{ scope: undefined }, "invalid_scope"],
      [{ scope: "core.users.manage" }, "invalid_scope"],
      [{ scope: "knowledge.portalmgr.read nope.read" }, "invalid_scope"],
      [{ scope: "openid" }, "invalid_request"], // openid without nonce
      [{ code_challenge: "x".repeat(43), code_challenge_method: "plain" }, "invalid_request"],
      [{ code_challenge: "short", code_challenge_method: "S256" }, "invalid_request"],
    ];
    for (const [override, error] of cases) {
      const res = await agent.request(authorizePath({ ...base(), ...override }));
      expect(res.status, JSON.stringify(override)).toBe(303);
      const url = new URL(res.location!);
      expect(`${url.origin}${url.pathname}`).toBe(CALLBACK);
      expect(url.searchParams.get("error"), JSON.stringify(override)).toBe(error);
      expect(url.searchParams.get("state")).toBe("xyz");
      expect(url.searchParams.get("iss")).toBe(server.url);
    }
  });

  it("requires PKCE with S256 from public clients", async () => {
    const res = await new Agent(server.url).request(authorizePath({ ...base(), client_id: spa.clientId }));
    expect(new URL(res.location!).searchParams.get("error")).toBe("invalid_request");
    expect(new URL(res.location!).searchParams.get("error_description")).toMatch(/PKCE/);
  });

  it("uses the default redirect URI when none is given, and asks a valid request to sign in", async () => {
    const res = await new Agent(server.url).request(authorizePath({ ...base(), redirect_uri: undefined, response_type: "token" }));
    expect(res.location!.startsWith(`${CALLBACK}?`)).toBe(true);
    const ok = await new Agent(server.url).request(authorizePath(base()));
    expect(ok.status).toBe(303);
    expect(ok.location).toMatch(/^\/oauth\/login\?return_to=%2Foauth%2Fauthorize%3F/);
    const none = await new Agent(server.url).request(authorizePath({ ...base(), prompt: "none" }));
    expect(new URL(none.location!).searchParams.get("error")).toBe("login_required");
  });
});

describe("sign-in", () => {
  it("says the same for an unknown email and a wrong password, and refuses a form without its CSRF token", async () => {
    const agent = new Agent(server.url);
    const start = await agent.request(authorizePath({ response_type: "code", client_id: web.clientId, scope: "core.users.read" }));
    const unknown = await agent.login("nobody@acme.test", "whatever", start.location!);
    const wrong = await agent.login(alice.email, "wrong password", start.location!);
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.text).toContain("Incorrect email or password.");
    expect(wrong.text).toContain("Incorrect email or password.");
    expect(agent.cookies.has("sk_session")).toBe(false);
    const forged = await new Agent(server.url).request("/oauth/login", { form: { email: alice.email, password: alice.password, return_to: "/oauth/authorize?x" } });
    expect(forged.status).toBe(403);
  });

  // Repeated failures are no longer slept on but counted and refused: test/throttles.test.ts.

  it("sets an HttpOnly, SameSite=Lax, Secure session cookie and only returns into an authorization request", async () => {
    const agent = new Agent(server.url);
    const res = await agent.login(alice.email, alice.password, "/oauth/login?return_to=https%3A%2F%2Fevil.example.test%2F");
    expect(res.status).toBe(303);
    expect(res.location).toBe("/oauth/authorize");
    const cookie = agent.setCookieHeaders.find((c) => c.startsWith("sk_session="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Secure/i);
  });
});

describe("consent", () => {
  it("shows the app and each scope's consent sentence by hub; deny returns access_denied", async () => {
    const agent = new Agent(server.url);
    const params = { response_type: "code", client_id: web.clientId, redirect_uri: CALLBACK, scope: "knowledge.portalmgr.read core.users.read", state: "st", code_challenge: pkcePair().challenge, code_challenge_method: "S256" };
    const start = await agent.request(authorizePath(params));
    const login = await agent.login(alice.email, alice.password, start.location!);
    const page = await agent.request(login.location!);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    for (const text of ["Acme Reports", "Reports for Acme", "Third-party application", "https://client.example.test/logo.png", "Knowledge", "Core", "alice@acme.test"]) {
      expect(page.text).toContain(text);
    }
    expect(page.text).toContain(server.services.catalog.scope("knowledge.portalmgr.read")!.consent.replace(/'/g, "&#39;"));
    expect(page.text).toContain(server.services.catalog.scope("core.users.read")!.consent.replace(/'/g, "&#39;"));
    const denied = await agent.request("/oauth/authorize", { form: { ...Agent.formFields(page.text), decision: "deny" } });
    const url = new URL(denied.location!);
    expect(url.searchParams.get("error")).toBe("access_denied");
    expect(url.searchParams.get("state")).toBe("st");
    const noCsrf = await agent.request("/oauth/authorize", { form: { ...Agent.formFields(page.text), csrf: "x".repeat(43), decision: "approve" } });
    expect(noCsrf.status).toBe(403);
  });

  it("remembers consent for the same or fewer scopes and asks again for more", async () => {
    const agent = new Agent(server.url);
    const user = await createUser(server, admin.organizationDbId, "bob@acme.test");
    await authorize(agent, { response_type: "code", client_id: web.clientId, scope: "knowledge.portalmgr.read core.users.read", code_challenge: pkcePair().challenge, code_challenge_method: "S256" }, user);
    const fewer = await agent.request(authorizePath({ response_type: "code", client_id: web.clientId, scope: "core.users.read" }));
    expect(fewer.status).toBe(303);
    expect(new URL(fewer.location!).searchParams.get("code")).toBeTruthy();
    const more = await agent.request(authorizePath({ response_type: "code", client_id: web.clientId, scope: "core.users.read email" }));
    expect(more.status).toBe(200);
    expect(more.text).toContain('name="decision"');
    const none = await agent.request(authorizePath({ response_type: "code", client_id: web.clientId, scope: "core.users.read email", prompt: "none" }));
    expect(new URL(none.location!).searchParams.get("error")).toBe("consent_required");
  });

  it("lets first-party apps skip consent", async () => {
    const firstParty = await registerApp({ name: "Acme Console", isFirstParty: true }, ["core.users.read"], true);
    const agent = new Agent(server.url);
    const start = await agent.request(authorizePath({ response_type: "code", client_id: firstParty.clientId, scope: "core.users.read" }));
    const login = await agent.login(alice.email, alice.password, start.location!);
    const res = await agent.request(login.location!);
    expect(res.status).toBe(303);
    expect(new URL(res.location!).searchParams.get("code")).toBeTruthy();
  });

  it("refuses members of other organizations on a PRIVATE app instead of showing consent", async () => {
    const agent = new Agent(server.url);
    const start = await agent.request(authorizePath({ response_type: "code", client_id: web.clientId, scope: "core.users.read" }));
    const login = await agent.login(mallory.email, mallory.password, start.location!);
    const res = await agent.request(login.location!);
    expect(res.status).toBe(403);
    expect(res.text).toContain("This application is private");
    expect(res.text).not.toContain('name="decision"');
  });
});

describe("POST /oauth/token grant_type=authorization_code", () => {
  it("exchanges a code bound to the client, redirect URI and PKCE verifier; the code is stored only hashed", async () => {
    const { res, code } = await fullFlow(web, "knowledge.portalmgr.read");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toMatchObject({ token_type: "Bearer", scope: "knowledge.portalmgr.read" });
    expect(res.body.refresh_token).toBeUndefined();
    const { payload } = await jwtVerify(res.body.access_token as string, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), { typ: "at+jwt", audience: `${server.url}/hubs/knowledge` });
    expect(payload).toMatchObject({ sub: `usr_${alice.id}`, client_id: web.clientId });
    const rows = JSON.stringify(await server.services.db.authorizationCode.findMany());
    expect(rows).not.toContain(code);
  });

  it("refuses a wrong verifier, a wrong redirect URI, another client and an expired code", async () => {
    const agent = new Agent(server.url);
    const get = async () => {
      const { verifier, challenge } = pkcePair();
      const url = await authorize(agent, { response_type: "code", client_id: web.clientId, redirect_uri: CALLBACK, scope: "core.users.read", code_challenge: challenge, code_challenge_method: "S256" }, alice);
      return { code: url.searchParams.get("code")!, verifier };
    };
    let c = await get();
    expect(await tokenRequest({ grant_type: "authorization_code", code: c.code, redirect_uri: CALLBACK, code_verifier: pkcePair().verifier }, web)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    c = await get();
    expect(await tokenRequest({ grant_type: "authorization_code", code: c.code, redirect_uri: `${CALLBACK}2`, code_verifier: c.verifier }, web)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    c = await get();
    expect(await tokenRequest({ grant_type: "authorization_code", code: c.code, code_verifier: c.verifier }, web)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    c = await get();
    expect(await tokenRequest({ grant_type: "authorization_code", code: c.code, redirect_uri: CALLBACK, code_verifier: c.verifier }, spa)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    c = await get();
    await server.services.db.authorizationCode.updateMany({ where: { consumedAt: null }, data: { expiresAt: new Date(Date.now() - 1) } });
    expect(await tokenRequest({ grant_type: "authorization_code", code: c.code, redirect_uri: CALLBACK, code_verifier: c.verifier }, web)).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: expect.stringContaining("expired") } });
  });

  it("refuses a second use of an authorization code and revokes what it issued", async () => {
    const { res, code, verifier } = await fullFlow(web, "knowledge.portalmgr.read offline_access");
    const again = await tokenRequest({ grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, web);
    expect(again).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const introspect = await postForm(`${server.url}/oauth/introspect`, { token: res.body.access_token as string }, basic(web.clientId, web.secret!));
    expect(introspect.body).toEqual({ active: false });
    const refreshed = await tokenRequest({ grant_type: "refresh_token", refresh_token: res.body.refresh_token as string }, web);
    expect(refreshed).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("lets public clients authenticate with none + PKCE, and not confidential ones", async () => {
    const { res } = await fullFlow(spa, "knowledge.portalmgr.read");
    expect(res.status).toBe(200);
    const { verifier, challenge } = pkcePair();
    const url = await authorize(new Agent(server.url), { response_type: "code", client_id: web.clientId, redirect_uri: CALLBACK, scope: "core.users.read", code_challenge: challenge, code_challenge_method: "S256" }, alice);
    const noSecret = await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", code: url.searchParams.get("code")!, redirect_uri: CALLBACK, code_verifier: verifier, client_id: web.clientId });
    expect(noSecret).toMatchObject({ status: 401, body: { error: "invalid_client" } });
  });

  it("carries only scopes still granted when the code is redeemed", async () => {
    const app = await registerApp({ name: "Shrinking" }, ["core.users.read", "knowledge.portalmgr.read"], true);
    const agent = new Agent(server.url);
    const { verifier, challenge } = pkcePair();
    const url = await authorize(agent, { response_type: "code", client_id: app.clientId, redirect_uri: CALLBACK, scope: "core.users.read knowledge.portalmgr.read", code_challenge: challenge, code_challenge_method: "S256" }, alice);
    await graphql(server.url, admin.token, RevokeScopesDocument, { input: { applicationId: app.id, scopes: ["core.users.read"] } });
    const res = await tokenRequest({ grant_type: "authorization_code", code: url.searchParams.get("code")!, redirect_uri: CALLBACK, code_verifier: verifier }, app);
    expect(res.body.scope).toBe("knowledge.portalmgr.read");
  });
});

describe("refresh tokens", () => {
  it("are issued only with offline_access, rotate on every use, and may narrow scopes", async () => {
    const { res } = await fullFlow(web, "knowledge.portalmgr.read core.users.read offline_access");
    const first = res.body.refresh_token as string;
    expect(first).toEqual(expect.any(String));
    expect(JSON.stringify(await server.services.db.refreshToken.findMany())).not.toContain(first);
    const rotated = await tokenRequest({ grant_type: "refresh_token", refresh_token: first }, web);
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(first);
    const narrowed = await tokenRequest({ grant_type: "refresh_token", refresh_token: rotated.body.refresh_token as string, scope: "core.users.read offline_access" }, web);
    expect(narrowed.body.scope).toBe("core.users.read offline_access");
    const widened = await tokenRequest({ grant_type: "refresh_token", refresh_token: narrowed.body.refresh_token as string, scope: "core.users.read knowledge.portalmgr.read offline_access" }, web);
    expect(widened).toMatchObject({ status: 400, body: { error: "invalid_scope" } });
  });

  it("revokes the whole family when a rotated token is used again", async () => {
    const { res } = await fullFlow(web, "core.users.read offline_access");
    const first = res.body.refresh_token as string;
    const second = await tokenRequest({ grant_type: "refresh_token", refresh_token: first }, web);
    expect(await tokenRequest({ grant_type: "refresh_token", refresh_token: first }, web)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(await tokenRequest({ grant_type: "refresh_token", refresh_token: second.body.refresh_token as string }, web)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const introspect = await postForm(`${server.url}/oauth/introspect`, { token: second.body.access_token as string }, basic(web.clientId, web.secret!));
    expect(introspect.body).toEqual({ active: false });
  });

  it("drops scopes revoked from the app since", async () => {
    const app = await registerApp({ name: "Refresh shrink" }, ["core.users.read", "knowledge.portalmgr.read", "offline_access"], true);
    const { res } = await fullFlow(app, "core.users.read knowledge.portalmgr.read offline_access");
    await graphql(server.url, admin.token, RevokeScopesDocument, { input: { applicationId: app.id, scopes: ["core.users.read"] } });
    const refreshed = await tokenRequest({ grant_type: "refresh_token", refresh_token: res.body.refresh_token as string }, app);
    expect(refreshed.body.scope).toBe("knowledge.portalmgr.read offline_access");
  });
});

describe("OpenID Connect", () => {
  it("issues an ID token with nonce and at_hash, and userinfo with the consented claims", async () => {
    const { res } = await fullFlow(web, "openid email profile");
    const idToken = res.body.id_token as string;
    const { payload, protectedHeader } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), { issuer: server.url, audience: web.clientId });
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload).toMatchObject({ sub: `usr_${alice.id}`, nonce: "n1", email: "alice@acme.test", name: "Alice Example", at_hash: atHash(res.body.access_token as string) });
    const info = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${res.body.access_token as string}` } });
    expect(await info.json()).toEqual({ sub: `usr_${alice.id}`, email: "alice@acme.test", email_verified: false, name: "Alice Example" });
    const { res: plain } = await fullFlow(web, "core.users.read");
    const denied = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${plain.body.access_token as string}` } });
    expect(denied.status).toBe(401); // its audience is the Core hub, not this server
    expect((await fetch(`${server.url}/oauth/userinfo`)).status).toBe(401);
  });
});

describe("revocation and introspection", () => {
  it("introspects only for authenticated confidential clients", async () => {
    const { res } = await fullFlow(web, "core.users.read");
    const token = res.body.access_token as string;
    expect(await postForm(`${server.url}/oauth/introspect`, { token })).toMatchObject({ status: 401, body: { error: "invalid_client" } });
    expect(await postForm(`${server.url}/oauth/introspect`, { token, client_id: spa.clientId })).toMatchObject({ status: 401, body: { error: "invalid_client" } });
    const ok = await postForm(`${server.url}/oauth/introspect`, { token }, basic(web.clientId, web.secret!));
    expect(ok.body).toMatchObject({ active: true, client_id: web.clientId, sub: `usr_${alice.id}`, scope: "core.users.read", token_type: "Bearer" });
    expect((await postForm(`${server.url}/oauth/introspect`, { token: "garbage" }, basic(web.clientId, web.secret!))).body).toEqual({ active: false });
  });

  it("revokes access tokens by jti and refresh tokens with their family, and keeps the consent", async () => {
    const agent = new Agent(server.url);
    const { res } = await fullFlow(web, "core.users.read offline_access", agent);
    const auth = basic(web.clientId, web.secret!);
    expect((await postForm(`${server.url}/oauth/revoke`, { token: res.body.access_token as string, token_type_hint: "access_token" }, auth)).status).toBe(200);
    expect((await postForm(`${server.url}/oauth/introspect`, { token: res.body.access_token as string }, auth)).body).toEqual({ active: false });
    expect((await postForm(`${server.url}/oauth/revoke`, { token: res.body.refresh_token as string }, auth)).status).toBe(200);
    expect(await tokenRequest({ grant_type: "refresh_token", refresh_token: res.body.refresh_token as string }, web)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect((await postForm(`${server.url}/oauth/revoke`, { token: "unknown" }, auth)).status).toBe(200);
    // Consent survives: the same request goes straight back to the client.
    const again = await agent.request(authorizePath({ response_type: "code", client_id: web.clientId, scope: "core.users.read offline_access", code_challenge: pkcePair().challenge, code_challenge_method: "S256" }));
    expect(again.status).toBe(303);
    expect(new URL(again.location!).searchParams.get("code")).toBeTruthy();
  });
});

describe("RP-initiated logout", () => {
  it("ends the session and redirects only to a registered post-logout URI, with state", async () => {
    const agent = new Agent(server.url);
    const { res } = await fullFlow(web, "openid", agent);
    const bad = await agent.request(`/oauth/logout?client_id=${web.clientId}&post_logout_redirect_uri=${encodeURIComponent("https://evil.example.test/")}`);
    expect(bad.status).toBe(400);
    const out = await agent.request(`/oauth/logout?id_token_hint=${res.body.id_token as string}&post_logout_redirect_uri=${encodeURIComponent(LOGOUT)}&state=bye`);
    expect(out.status).toBe(303);
    expect(out.location).toBe(`${LOGOUT}?state=bye`);
    const after = await agent.request(authorizePath({ response_type: "code", client_id: web.clientId, scope: "core.users.read", code_challenge: pkcePair().challenge, code_challenge_method: "S256" }));
    expect(after.location).toMatch(/^\/oauth\/login/);
  });
});

describe("metadata and members", () => {
  it("lists every endpoint and capability that now exists", async () => {
    const m = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(m).toMatchObject({
      authorization_endpoint: `${server.url}/oauth/authorize`,
      revocation_endpoint: `${server.url}/oauth/revoke`,
      introspection_endpoint: `${server.url}/oauth/introspect`,
      userinfo_endpoint: `${server.url}/oauth/userinfo`,
      end_session_endpoint: `${server.url}/oauth/logout`,
      code_challenge_methods_supported: ["S256"],
      authorization_response_iss_parameter_supported: true,
      response_types_supported: ["code"],
    });
    expect(m.grant_types_supported).toEqual(expect.arrayContaining(["authorization_code", "refresh_token", "client_credentials"]));
    expect(m.introspection_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post"]);
  });

  it("adds users from the command line and lists them to admins", async () => {
    const cli = spawnSync(process.execPath, [path.resolve(import.meta.dirname, "../bin/scopekeeper.js"), "user", "add", "--org", admin.organizationId, "--email", "Carol@Acme.test", "--password", "carol password", "--role", "ADMIN"], {
      env: { PATH: process.env.PATH, DATABASE_URL: server.database.url, NODE_ENV: "test", ...TEST_ARGON2_ENV },
      encoding: "utf8",
    });
    expect(cli.status, cli.stderr).toBe(0);
    const bad = spawnSync(process.execPath, [path.resolve(import.meta.dirname, "../bin/scopekeeper.js"), "user", "add", "--org", admin.organizationId, "--email", "x", "--password", "p", "--role", "OWNER"], {
      env: { PATH: process.env.PATH, DATABASE_URL: server.database.url, NODE_ENV: "test" },
      encoding: "utf8",
    });
    expect(bad.status).toBe(1);
    const res = await graphql(server.url, admin.token, OrganizationMembersDocument, { id: admin.organizationId });
    expect(res.data.organization?.members).toEqual(expect.arrayContaining([{ email: "carol@acme.test", name: null, role: "ADMIN" }, { email: "alice@acme.test", name: "Alice Example", role: "MEMBER" }]));
    expect(res.data.organization?.members.map((m) => m.email)).not.toContain("mallory@outsiders.test");
  });
});

describe("browser endpoints", () => {
  it("answer a malformed form with an HTML page, not JSON", async () => {
    const res = await fetch(`${server.url}/oauth/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "%%%" + "x".repeat(20_000) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
  });
});
