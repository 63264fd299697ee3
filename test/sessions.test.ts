// Issue 25 item 4: a person sees their sign-in sessions under "Security" at /oauth/account and
// ends each ("Sign out"). Refresh tokens belong to the session that issued them (through the
// code, and every rotation after it): ending that session revokes them, and the access tokens
// issued with them, through the same path as RFC 7009 revocation; other sessions' keep working.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent } from "./helpers/agent.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { CALLBACK, codeFor, registerWebApp, type WebApp } from "./helpers/user-apps.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let acme: Admin;
let app: WebApp;
let ivy: { id: string; email: string; password: string };

beforeAll(async () => {
  server = await startTestServer();
  acme = await bootstrapAdmin(server, "Acme Corporation");
  app = await registerWebApp(server, acme, "Acme Notes", ["openid", "offline_access", "knowledge.portalmgr.read"]);
  ivy = await createUser(server, acme.organizationDbId, "ivy@acme.example");
});
afterAll(async () => server?.close());

/** A browser of its own (one session) and the refresh token the app got through it. */
async function signedInBrowser(userAgent: string) {
  const agent = new Agent(server.url);
  const { code, verifier } = await codeFor(server, app, ivy, "openid offline_access knowledge.portalmgr.read", agent);
  const res = await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, basic(app.clientId, app.secret));
  expect(res.status).toBe(200);
  // The session row says which browser it was (the Agent's fetch says only "node").
  const session = await server.services.sessions.get(agent.cookies.get("sk_session"));
  await server.services.db.session.update({ where: { id: session!.id }, data: { userAgent } });
  return { agent, refresh: res.body.refresh_token as string, access: res.body.access_token as string };
}

const refresh = (token: string) => postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: token }, basic(app.clientId, app.secret));
const introspect = async (token: string) => (await postForm(`${server.url}/oauth/introspect`, { token }, basic(app.clientId, app.secret))).body.active;

describe("sessions under Security", () => {
  it("lists the person's sessions and ends one: its refresh tokens stop working, the other session's keep working", async () => {
    const laptop = await signedInBrowser("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36");
    const phone = await signedInBrowser("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1");

    // A rotation keeps the session: the laptop's newest refresh token is what must stop.
    const rotated = await refresh(laptop.refresh);
    expect(rotated.status).toBe(200);
    const laptopRefresh = rotated.body.refresh_token as string;
    const laptopAccess = rotated.body.access_token as string;

    const account = await phone.agent.request("/oauth/account");
    expect(account.status).toBe(200);
    expect(account.text).toContain("Chrome on Linux");
    expect(account.text).toContain("Safari on iOS");
    expect(account.text.match(/>Sign out</g)).toHaveLength(2);
    const laptopSession = await server.services.db.session.findFirstOrThrow({ where: { userAgent: { contains: "Linux" } } });
    const csrf = Agent.formFields(account.text).csrf!;

    const ended = await phone.agent.request("/oauth/account/sessions/end", { form: { csrf, id: laptopSession.id } });
    expect(ended.status).toBe(303);
    expect(ended.location).toBe("/oauth/account?done=session_ended");

    const refused = await refresh(laptopRefresh);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_grant");
    expect(await introspect(laptopAccess)).toBe(false);
    // The laptop is signed out; the phone, its session and its tokens are not.
    expect((await laptop.agent.request("/oauth/account")).location).toMatch(/^\/oauth\/login/);
    expect((await phone.agent.request("/oauth/account")).status).toBe(200);
    expect((await refresh(phone.refresh)).status).toBe(200);
  });

  it("ends only the person's own sessions: someone else's session id changes nothing", async () => {
    const other = await createUser(server, acme.organizationDbId, "oz@acme.example");
    const theirs = new Agent(server.url);
    await theirs.login(other.email, other.password, "/oauth/login?return_to=%2Foauth%2Faccount");
    const theirSession = await server.services.db.session.findFirstOrThrow({ where: { userId: other.id } });
    const mine = await signedInBrowser("curl/8.0");
    const page = await mine.agent.request("/oauth/account");
    const res = await mine.agent.request("/oauth/account/sessions/end", { form: { csrf: Agent.formFields(page.text).csrf!, id: theirSession.id } });
    expect(res.location).toBe("/oauth/account");
    expect(await server.services.db.session.count({ where: { id: theirSession.id } })).toBe(1);
    expect((await theirs.request("/oauth/account")).status).toBe(200);
  });

  it("refuses a sign-out without the page's CSRF token", async () => {
    const browser = await signedInBrowser("Mozilla/5.0 Firefox/131.0");
    const row = await server.services.db.session.findFirstOrThrow({ where: { userAgent: { contains: "Firefox" } } });
    const res = await browser.agent.request("/oauth/account/sessions/end", { form: { csrf: "forged", id: row.id } });
    expect(res.status).toBe(403);
    expect((await refresh(browser.refresh)).status).toBe(200);
  });

  it("signing out through the sign-out endpoint ends that session's refresh tokens too", async () => {
    const browser = await signedInBrowser("Mozilla/5.0 (Windows NT 10.0) Edg/130.0");
    const confirm = await browser.agent.request("/oauth/logout");
    const out = await browser.agent.request("/oauth/logout", { form: { ...Agent.formFields(confirm.text), confirm: "yes" } });
    expect(out.status).toBe(200);
    expect((await refresh(browser.refresh)).body.error).toBe("invalid_grant");
  });
});
