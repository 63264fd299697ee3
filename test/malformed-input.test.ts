// Issue 10 item 7: input that could reach a query is checked before it does, at every OAuth
// door, so the same malformed request is the same clean 4xx on SQLite and on PostgreSQL
// (which refuses NUL in text and used to answer 500). JSON doors answer RFC 6749 JSON;
// the browser doors answer an HTML error page.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { CALLBACK, registerWebApp, type WebApp } from "./helpers/user-apps.ts";

const RFC6749_CODES = ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_token"];
const NUL = "\u0000";
const HUGE = "a".repeat(9000);
const TOO_BIG_FOR_THE_BODY = "a".repeat(20_000);
const FORM = "application/x-www-form-urlencoded";

interface Ctx {
  admin: Admin;
  app: WebApp;
}

interface Case {
  name: string;
  method?: "GET" | "POST";
  path: (c: Ctx) => string;
  headers?: (c: Ctx) => Record<string, string>;
  /** A form (encoded here) or a raw body. */
  form?: (c: Ctx) => Record<string, string> | string;
  contentType?: string;
}

const basicRaw = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` });
const adminBasic = (c: Ctx) => basicRaw(c.admin.clientId, c.admin.clientSecret);
const qs = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** Doors that answer RFC 6749 JSON. */
const JSON_CASES: Case[] = [
  // /oauth/token
  { name: "token: NUL in the Basic client_id", path: () => "/oauth/token", headers: (c) => basicRaw(`${c.admin.clientId}${NUL}`, c.admin.clientSecret), form: () => ({ grant_type: "client_credentials", scope: "connect.applications.read" }) },
  { name: "token: NUL in the Basic secret", path: () => "/oauth/token", headers: (c) => basicRaw(c.admin.clientId, `${NUL}${c.admin.clientSecret}`), form: () => ({ grant_type: "client_credentials", scope: "connect.applications.read" }) },
  { name: "token: NUL-only Basic credentials", path: () => "/oauth/token", headers: () => basicRaw(NUL, NUL), form: () => ({ grant_type: "client_credentials" }) },
  { name: "token: a huge Basic client_id", path: () => "/oauth/token", headers: (c) => basicRaw(HUGE.slice(0, 4000), c.admin.clientSecret), form: () => ({ grant_type: "client_credentials" }) },
  { name: "token: NUL in client_id (post)", path: () => "/oauth/token", form: (c) => ({ grant_type: "client_credentials", client_id: `${c.admin.clientId}${NUL}`, client_secret: c.admin.clientSecret }) },
  { name: "token: NUL in client_secret (post)", path: () => "/oauth/token", form: (c) => ({ grant_type: "client_credentials", client_id: c.admin.clientId, client_secret: `x${NUL}` }) },
  { name: "token: NUL in client_id of a public client", path: () => "/oauth/token", form: () => ({ grant_type: "authorization_code", code: "abc", client_id: `spa${NUL}` }) },
  { name: "token: NUL in a code", path: () => "/oauth/token", headers: adminBasic, form: () => ({ grant_type: "authorization_code", code: `abc${NUL}`, redirect_uri: CALLBACK }) },
  { name: "token: NUL in redirect_uri", path: () => "/oauth/token", headers: adminBasic, form: () => ({ grant_type: "authorization_code", code: "abc", redirect_uri: `${CALLBACK}${NUL}` }) },
  { name: "token: NUL in a refresh token", path: () => "/oauth/token", headers: adminBasic, form: () => ({ grant_type: "refresh_token", refresh_token: `${NUL}` }) },
  { name: "token: a control character in scope", path: () => "/oauth/token", headers: adminBasic, form: () => ({ grant_type: "client_credentials", scope: "connect.applications.read\u0007" }) },
  { name: "token: NUL in grant_type", path: () => "/oauth/token", headers: adminBasic, form: () => ({ grant_type: `client_credentials${NUL}` }) },
  { name: "token: a huge code", path: () => "/oauth/token", headers: adminBasic, form: () => ({ grant_type: "authorization_code", code: HUGE }) },
  { name: "token: a body over the size limit", path: () => "/oauth/token", headers: adminBasic, form: () => ({ grant_type: "authorization_code", code: TOO_BIG_FOR_THE_BODY }) },
  { name: "token: grant_type twice", path: () => "/oauth/token", headers: adminBasic, form: () => "grant_type=client_credentials&grant_type=refresh_token" },
  { name: "token: client_id twice", path: () => "/oauth/token", form: (c) => `grant_type=client_credentials&client_id=${c.admin.clientId}&client_id=x&client_secret=y` },
  { name: "token: a JSON body", path: () => "/oauth/token", headers: adminBasic, contentType: "application/json", form: () => JSON.stringify({ grant_type: "client_credentials" }) },
  { name: "token: text/plain", path: () => "/oauth/token", headers: adminBasic, contentType: "text/plain", form: () => "grant_type=client_credentials" },
  { name: "token: a malformed form encoding", path: () => "/oauth/token", headers: adminBasic, form: () => "grant_type=%E0%A4%A&scope=%00" },
  // /oauth/revoke
  { name: "revoke: NUL in the token", path: () => "/oauth/revoke", headers: adminBasic, form: () => ({ token: `abc${NUL}` }) },
  { name: "revoke: NUL in the Basic client_id", path: () => "/oauth/revoke", headers: (c) => basicRaw(`${NUL}${c.admin.clientId}`, c.admin.clientSecret), form: () => ({ token: "abc" }) },
  { name: "revoke: NUL in a public client_id", path: () => "/oauth/revoke", form: () => ({ token: "abc", client_id: `x${NUL}` }) },
  { name: "revoke: NUL in token_type_hint", path: () => "/oauth/revoke", headers: adminBasic, form: () => ({ token: "abc", token_type_hint: `refresh_token${NUL}` }) },
  { name: "revoke: a huge token", path: () => "/oauth/revoke", headers: adminBasic, form: () => ({ token: HUGE }) },
  { name: "revoke: token twice", path: () => "/oauth/revoke", headers: adminBasic, form: () => "token=a&token=b" },
  { name: "revoke: a JSON body", path: () => "/oauth/revoke", headers: adminBasic, contentType: "application/json", form: () => JSON.stringify({ token: "a" }) },
  // /oauth/introspect
  { name: "introspect: NUL in the token", path: () => "/oauth/introspect", headers: adminBasic, form: () => ({ token: `${NUL}`, token_type_hint: "refresh_token" }) },
  { name: "introspect: NUL in the Basic secret", path: () => "/oauth/introspect", headers: (c) => basicRaw(c.admin.clientId, `${c.admin.clientSecret}${NUL}`), form: () => ({ token: "abc" }) },
  { name: "introspect: NUL in client_id (post)", path: () => "/oauth/introspect", form: (c) => ({ token: "abc", client_id: `${c.admin.clientId}${NUL}`, client_secret: c.admin.clientSecret }) },
  { name: "introspect: a huge token", path: () => "/oauth/introspect", headers: adminBasic, form: () => ({ token: HUGE }) },
  { name: "introspect: token twice", path: () => "/oauth/introspect", headers: adminBasic, form: () => "token=a&token=b" },
  { name: "introspect: a JSON body", path: () => "/oauth/introspect", headers: adminBasic, contentType: "application/json", form: () => JSON.stringify({ token: "a" }) },
  // /oauth/userinfo
  { name: "userinfo: NUL in an access_token query parameter", method: "GET", path: () => `/oauth/userinfo?${qs({ access_token: `a${NUL}` })}` },
  { name: "userinfo: NUL in a form field", path: () => "/oauth/userinfo", form: () => ({ access_token: `a${NUL}` }) },
  { name: "userinfo: a huge bearer token", method: "GET", path: () => "/oauth/userinfo", headers: () => ({ authorization: `Bearer ${HUGE}` }) },
  { name: "userinfo: a bearer token that is not a token", method: "GET", path: () => "/oauth/userinfo", headers: () => ({ authorization: "Bearer %00%00" }) },
];

/** Browser doors: an HTML page, never JSON, never a redirect carrying the bad input. */
const PAGE_CASES: Case[] = [
  { name: "authorize: NUL in client_id", method: "GET", path: (c) => `/oauth/authorize?${qs({ response_type: "code", client_id: `${c.app.clientId}${NUL}`, redirect_uri: CALLBACK, scope: "openid" })}` },
  { name: "authorize: NUL in redirect_uri", method: "GET", path: (c) => `/oauth/authorize?${qs({ response_type: "code", client_id: c.app.clientId, redirect_uri: `${CALLBACK}${NUL}`, scope: "openid" })}` },
  { name: "authorize: NUL in state", method: "GET", path: (c) => `/oauth/authorize?${qs({ response_type: "code", client_id: c.app.clientId, redirect_uri: CALLBACK, scope: "openid", state: NUL })}` },
  { name: "authorize: a huge client_id", method: "GET", path: () => `/oauth/authorize?${qs({ response_type: "code", client_id: HUGE, scope: "openid" })}` },
  { name: "authorize: client_id twice", method: "GET", path: (c) => `/oauth/authorize?client_id=${c.app.clientId}&client_id=x&response_type=code` },
  { name: "authorize (consent POST): NUL in client_id", path: () => "/oauth/authorize", form: () => ({ client_id: `x${NUL}`, decision: "approve", csrf: "x" }) },
  { name: "login: NUL in return_to", method: "GET", path: () => `/oauth/login?${qs({ return_to: `/oauth/authorize?client_id=${NUL}` })}` },
  { name: "login: NUL in the email", path: () => "/oauth/login", form: () => ({ email: `alice${NUL}@acme.test`, password: "pw", csrf: "x" }) },
  { name: "login: NUL in the password", path: () => "/oauth/login", form: () => ({ email: "alice@acme.test", password: `pw${NUL}`, csrf: "x" }) },
  { name: "login: a huge email", path: () => "/oauth/login", form: () => ({ email: HUGE, password: "pw", csrf: "x" }) },
  { name: "login: a body over the size limit", path: () => "/oauth/login", form: () => ({ email: TOO_BIG_FOR_THE_BODY, password: "pw" }) },
  { name: "login: text/plain", path: () => "/oauth/login", contentType: "text/plain", form: () => "email=a" },
  { name: "logout: NUL in client_id", method: "GET", path: () => `/oauth/logout?${qs({ client_id: `x${NUL}`, post_logout_redirect_uri: "https://client.example.test/bye" })}` },
  { name: "logout: NUL in post_logout_redirect_uri", method: "GET", path: (c) => `/oauth/logout?${qs({ client_id: c.app.clientId, post_logout_redirect_uri: `https://client.example.test/bye${NUL}` })}` },
  { name: "logout: NUL in id_token_hint", path: () => "/oauth/logout", form: () => ({ id_token_hint: `eyJ${NUL}` }) },
];

async function send(server: TestServer, ctx: Ctx, c: Case) {
  const form = c.form?.(ctx);
  const body = form === undefined ? undefined : typeof form === "string" ? form : new URLSearchParams(form).toString();
  const res = await fetch(`${server.url}${c.path(ctx)}`, {
    method: c.method ?? "POST",
    redirect: "manual",
    headers: { ...(body !== undefined ? { "content-type": c.contentType ?? FORM } : {}), ...c.headers?.(ctx) },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

describe.each(["sqlite", "postgresql"] as const)("malformed requests on %s", (provider) => {
  let server: TestServer;
  let ctx: Ctx;

  beforeAll(async () => {
    server = await startTestServer({ database: await createTestDatabase({ provider }) });
    const admin = await bootstrapAdmin(server, "Acme");
    ctx = { admin, app: await registerWebApp(server, admin, "Acme Reports", ["openid"]) };
  });
  afterAll(async () => {
    await server?.close();
    await server?.database.drop();
  });

  it.each(JSON_CASES.map((c) => [c.name, c] as const))("%s: 4xx with an RFC 6749 JSON error", async (_name, c) => {
    const res = await send(server, ctx, c);
    expect(res.status, res.text).toBeGreaterThanOrEqual(400);
    expect(res.status, res.text).toBeLessThan(500);
    expect(res.type).toMatch(/^application\/json/);
    const body = JSON.parse(res.text) as { error: string; error_description?: string };
    expect(RFC6749_CODES).toContain(body.error);
    expect(body.error_description).toEqual(expect.any(String));
  });

  it.each(PAGE_CASES.map((c) => [c.name, c] as const))("%s: 4xx with an HTML error page", async (_name, c) => {
    const res = await send(server, ctx, c);
    expect(res.status, res.text).toBeGreaterThanOrEqual(400);
    expect(res.status, res.text).toBeLessThan(500);
    expect(res.type).toMatch(/^text\/html/);
  });

  it("still works afterwards: the server answers a good request", async () => {
    const res = await fetch(`${server.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": FORM, ...adminBasic(ctx) },
      body: qs({ grant_type: "client_credentials", scope: "connect.applications.read" }),
    });
    expect(res.status).toBe(200);
  });
});
