// RFC 8628, the device authorization grant, over real HTTP: a TV or a CLI without a browser
// asks for codes, a person types the user code at /oauth/device, signs in and allows the app,
// and the device polls until it gets its tokens, at the pace the server sets.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../src/crypto/random.ts";
import { CreateApplicationDocument, GrantScopesDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent } from "./helpers/agent.ts";
import { confineToLocalhost, describeWithChromium, launchChromium } from "./helpers/chromium.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { registerWebApp, type WebApp } from "./helpers/user-apps.ts";
import { createUser } from "./helpers/users.ts";

const OUTPUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

let server: TestServer;
let admin: Admin;
let tv: { id: string; clientId: string };
let otherTv: { id: string; clientId: string };
let web: WebApp;
let alice: { email: string; password: string };

async function nativeApp(name: string, scopes: string[]) {
  const created = (
    await graphql(server.url, admin.token, CreateApplicationDocument, {
      input: {
        name,
        description: "Watch your portals on the big screen.",
        applicationType: "OAUTH",
        platform: "NATIVE",
        usesPkce: true,
        isFirstParty: false,
        organizationId: admin.organizationId,
        redirectUris: [{ uri: "http://127.0.0.1/callback" }],
      } as never,
    })
  ).data.createConnectApplication;
  if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
  const granted = (await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: created.application.id, kind: "DELEGATED", scopes } })).data.grantScopes;
  if (granted.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(granted));
  return { id: created.application.id, clientId: created.application.clientId };
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Acme Corporation");
  tv = await nativeApp("Acme TV", ["openid", "offline_access", "knowledge.portalmgr.read"]);
  otherTv = await nativeApp("Other TV", ["knowledge.portalmgr.read"]);
  web = await registerWebApp(server, admin, "Acme Reports", ["knowledge.portalmgr.read"]);
  alice = await createUser(server, admin.organizationDbId, "alice@acme.test");
});
afterAll(async () => server?.close());

const askForCodes = (form: Record<string, string>, headers: Record<string, string> = {}) => postForm(`${server.url}/oauth/device_authorization`, form, headers);
const poll = (clientId: string, deviceCode: string) => postForm(`${server.url}/oauth/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId });

async function codes(clientId = tv.clientId, scope = "openid offline_access knowledge.portalmgr.read") {
  const res = await askForCodes({ client_id: clientId, scope });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; expires_in: number; interval: number };
}

const rowOf = (deviceCode: string) => server.services.db.deviceAuthorization.findUniqueOrThrow({ where: { deviceCodeHash: sha256(deviceCode) } });

/** Walks the verification page, sign-in and consent as a browser without scripts would. */
async function approveAs(who: { email: string; password: string }, userCode: string, decision: "approve" | "deny" = "approve", agent = new Agent(server.url)) {
  const page = await agent.request("/oauth/device");
  const entered = await agent.request("/oauth/device", { form: { ...Agent.formFields(page.text), user_code: userCode } });
  expect(entered.status, entered.text.slice(0, 300)).toBe(303);
  let res = await agent.request(entered.location!);
  if (res.status === 303 && res.location!.startsWith("/oauth/login")) {
    const login = await agent.login(who.email, who.password, res.location!);
    expect(login.status).toBe(303);
    res = await agent.request(login.location!);
  }
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  const consent = res;
  const done = await agent.request("/oauth/device/confirm", { form: { ...Agent.formFields(consent.text), decision } });
  return { consent, done, agent };
}

describe("the device authorization endpoint", () => {
  it("is in the metadata, with the device_code grant type", async () => {
    const doc = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(doc.device_authorization_endpoint).toBe(`${server.url}/oauth/device_authorization`);
    expect(doc.grant_types_supported).toContain(DEVICE_GRANT);
    const oidc = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(oidc.device_authorization_endpoint).toBe(`${server.url}/oauth/device_authorization`);
  });

  it("gives a public NATIVE app without a secret a 256-bit device_code, an XXXX-XXXX user_code, 600 s and an interval of 5", async () => {
    const res = await askForCodes({ client_id: tv.clientId, scope: "openid knowledge.portalmgr.read" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = res.body as Record<string, string | number>;
    expect(body.user_code).toMatch(USER_CODE);
    expect(body.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.verification_uri).toBe(`${server.url}/oauth/device`);
    expect(body.verification_uri_complete).toBe(`${server.url}/oauth/device?user_code=${body.user_code}`);
    expect(body.expires_in).toBe(600);
    expect(body.interval).toBe(5);
  });

  it("stores both codes only as digests", async () => {
    const { device_code, user_code } = await codes();
    const row = await rowOf(device_code);
    expect(row.deviceCodeHash).toBe(sha256(device_code));
    expect(row.userCodeHash).toBe(sha256(user_code.replace("-", "")));
    expect(JSON.stringify(row)).not.toContain(device_code);
    expect(JSON.stringify(row)).not.toContain(user_code.replace("-", ""));
  });

  it("makes a confidential WEB app authenticate, and refuses it without its secret", async () => {
    const withSecret = await askForCodes({ scope: "knowledge.portalmgr.read" }, basic(web.clientId, web.secret));
    expect(withSecret.status).toBe(200);
    const without = await askForCodes({ client_id: web.clientId, scope: "knowledge.portalmgr.read" });
    expect(without.status).toBe(401);
    expect(without.body.error).toBe("invalid_client");
  });

  it("refuses an M2M application (unauthorized_client): the flow is for a person", async () => {
    const res = await askForCodes({ scope: "connect.applications.read" }, basic(admin.clientId, admin.clientSecret));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("unauthorized_client");
  });

  it("refuses a missing scope and a scope not granted (invalid_scope), and an unknown client (invalid_client)", async () => {
    const none = await askForCodes({ client_id: tv.clientId });
    expect([none.status, none.body.error]).toEqual([400, "invalid_scope"]);
    const notGranted = await askForCodes({ client_id: otherTv.clientId, scope: "openid" });
    expect([notGranted.status, notGranted.body.error]).toEqual([400, "invalid_scope"]);
    const unknown = await askForCodes({ client_id: "no-such-client", scope: "openid" });
    expect([unknown.status, unknown.body.error]).toEqual([401, "invalid_client"]);
  });
});

describe("polling", () => {
  it("answers the first poll at once, slows a fast second one down by 5 s, and a refused poll does not move the clock", async () => {
    const { device_code } = await codes();
    const first = await poll(tv.clientId, device_code);
    expect([first.status, first.body.error]).toEqual([400, "authorization_pending"]);
    const answeredAt = (await rowOf(device_code)).lastPolledAt!;

    const second = await poll(tv.clientId, device_code);
    expect([second.status, second.body.error]).toEqual([400, "slow_down"]);
    expect((await rowOf(device_code)).intervalSeconds).toBe(10);
    const third = await poll(tv.clientId, device_code);
    expect([third.status, third.body.error]).toEqual([400, "slow_down"]);
    const row = await rowOf(device_code);
    expect(row.intervalSeconds).toBe(15);
    expect(row.lastPolledAt!.getTime()).toBe(answeredAt.getTime());

    // 12 s after the last answered poll: still inside the grown 15 s interval.
    await server.services.db.deviceAuthorization.update({ where: { id: row.id }, data: { lastPolledAt: new Date(Date.now() - 12_000) } });
    expect((await poll(tv.clientId, device_code)).body.error).toBe("slow_down");
    // 16 s after: answered, and the clock moves.
    await server.services.db.deviceAuthorization.update({ where: { id: row.id }, data: { lastPolledAt: new Date(Date.now() - 21_000) } });
    const later = await poll(tv.clientId, device_code);
    expect([later.status, later.body.error]).toEqual([400, "authorization_pending"]);
    expect(Date.now() - (await rowOf(device_code)).lastPolledAt!.getTime()).toBeLessThan(5_000);
  });

  it("answers only one of two simultaneous polls; the other is slow_down", async () => {
    const { device_code } = await codes();
    const answers = await Promise.all([poll(tv.clientId, device_code), poll(tv.clientId, device_code)]);
    expect(answers.map((a) => a.body.error).sort()).toEqual(["authorization_pending", "slow_down"]);
  });

  it("says expired_token after expiry, whatever the decision", async () => {
    const { device_code } = await codes();
    await server.services.db.deviceAuthorization.update({ where: { deviceCodeHash: sha256(device_code) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await poll(tv.clientId, device_code);
    expect([res.status, res.body.error]).toEqual([400, "expired_token"]);
  });

  it("refuses an unknown device_code, and another client's, with invalid_grant", async () => {
    expect((await poll(tv.clientId, "not-a-device-code")).body.error).toBe("invalid_grant");
    const { device_code } = await codes();
    const stolen = await poll(otherTv.clientId, device_code);
    expect([stolen.status, stolen.body.error]).toEqual([400, "invalid_grant"]);
    // The owner's first poll is still its first: the thief moved nothing.
    expect((await poll(tv.clientId, device_code)).body.error).toBe("authorization_pending");
  });
});

describe("the verification page, sign-in and consent", () => {
  it("takes the code, signs the person in, names the app on consent, and the device gets its tokens once", async () => {
    const { device_code, user_code } = await codes();
    expect((await poll(tv.clientId, device_code)).body.error).toBe("authorization_pending");
    const { consent, done } = await approveAs(alice, user_code);
    expect(consent.text).toContain("<title>Authorize Acme TV</title>");
    expect(consent.text).toContain('action="/oauth/device/confirm"');
    expect(consent.text).toContain("on the device that showed you the code");
    expect(done.status).toBe(200);
    expect(done.text).toContain("You can return to your device");

    await server.services.db.deviceAuthorization.update({ where: { deviceCodeHash: sha256(device_code) }, data: { lastPolledAt: new Date(Date.now() - 6_000) } });
    const tokens = await poll(tv.clientId, device_code);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body.token_type).toBe("Bearer");
    expect(tokens.body.scope).toBe("openid offline_access knowledge.portalmgr.read");
    expect(tokens.body.refresh_token).toEqual(expect.any(String));
    const claims = JSON.parse(Buffer.from((tokens.body.access_token as string).split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims.client_id).toBe(tv.clientId);
    expect(claims.sub).toMatch(/^usr_/);

    const again = await poll(tv.clientId, device_code);
    expect([again.status, again.body.error]).toEqual([400, "invalid_grant"]);
    // The approval is a consent the person sees in Connected apps.
    const consentRow = await server.services.db.consent.findFirst({ where: { applicationId: (await rowOf(device_code)).applicationId } });
    expect(consentRow?.scopes.split(" ")).toContain("knowledge.portalmgr.read");
  });

  it("takes RFC 8707 resource like the other grants: a hub none of the scopes belongs to is invalid_target, pending or approved, and spends nothing", async () => {
    const { device_code, user_code } = await codes(tv.clientId, "openid knowledge.portalmgr.read");
    const withResource = (resource: string) =>
      postForm(`${server.url}/oauth/token`, { grant_type: DEVICE_GRANT, device_code, client_id: tv.clientId, resource });
    const early = await withResource("https://elsewhere.example/api");
    expect([early.status, early.body.error]).toEqual([400, "invalid_target"]);
    // A refused poll does not move the polling clock.
    expect((await rowOf(device_code)).lastPolledAt).toBeNull();
    await approveAs(alice, user_code);
    const wrong = await withResource(`${server.url}/hubs/conversation`);
    expect([wrong.status, wrong.body.error]).toEqual([400, "invalid_target"]);
    expect((await rowOf(device_code)).consumedAt).toBeNull();
    const right = await withResource(`${server.url}/hubs/knowledge`);
    expect(right.status, JSON.stringify(right.body)).toBe(200);
    const claims = JSON.parse(Buffer.from((right.body.access_token as string).split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect([claims.aud].flat()).toContain(`${server.url}/hubs/knowledge`);
  });

  it("accepts the code in lower case, with spaces and without the dash", async () => {
    const { user_code } = await codes();
    const agent = new Agent(server.url);
    const page = await agent.request("/oauth/device");
    const typed = ` ${user_code.slice(0, 4).toLowerCase()} ${user_code.slice(5).toLowerCase()} `;
    const res = await agent.request("/oauth/device", { form: { ...Agent.formFields(page.text), user_code: typed } });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/oauth/device/confirm?user_code=${user_code}`);
  });

  it("only fills the field in from verification_uri_complete: the person still presses Continue", async () => {
    const { user_code, verification_uri_complete } = await codes();
    const res = await new Agent(server.url).request(verification_uri_complete);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`value="${user_code}"`);
    expect(res.text).toContain("Continue only if it matches the code on your device");
    expect(res.text).toContain('<label for="user_code">Code</label>');
    // A value that cannot be a code is not echoed into the page.
    const odd = await new Agent(server.url).request("/oauth/device?user_code=%22%3E%3Cscript%3E");
    expect(odd.text).not.toContain("script");
  });

  it("tells the device access_denied after the person denies, and the code is spent", async () => {
    const { device_code, user_code } = await codes();
    const { done } = await approveAs(alice, user_code, "deny");
    expect(done.text).toContain("Access denied");
    const res = await poll(tv.clientId, device_code);
    expect([res.status, res.body.error]).toEqual([400, "access_denied"]);
    const agent = new Agent(server.url);
    const page = await agent.request("/oauth/device");
    const reuse = await agent.request("/oauth/device", { form: { ...Agent.formFields(page.text), user_code } });
    expect(reuse.status).toBe(400);
    expect(reuse.text).toContain("not valid or has expired");
  });

  it("refuses a PRIVATE app to a person outside its organization", async () => {
    const outsiders = await bootstrapAdmin(server, "Outsiders");
    const mallory = await createUser(server, outsiders.organizationDbId, "mallory@outsiders.test");
    const { device_code, user_code } = await codes();
    const agent = new Agent(server.url);
    const page = await agent.request("/oauth/device");
    const entered = await agent.request("/oauth/device", { form: { ...Agent.formFields(page.text), user_code } });
    const login = await agent.login(mallory.email, mallory.password, (await agent.request(entered.location!)).location!);
    const res = await agent.request(login.location!);
    expect(res.status).toBe(403);
    expect(res.text).toContain("This application is private");
    expect((await poll(tv.clientId, device_code)).body.error).toBe("authorization_pending");
  });

  it("names the app on the sign-in page", async () => {
    const { user_code } = await codes();
    const agent = new Agent(server.url);
    const page = await agent.request("/oauth/device");
    const entered = await agent.request("/oauth/device", { form: { ...Agent.formFields(page.text), user_code } });
    const toLogin = await agent.request(entered.location!);
    const login = await agent.request(toLogin.location!);
    expect(login.text).toContain("to continue to <strong>Acme TV</strong>");
  });
});

describe("wrong codes", () => {
  let throttled: TestServer;
  let app: WebApp;
  beforeAll(async () => {
    throttled = await startTestServer({ env: { DEVICE_CODE_MAX_FAILURES_PER_SESSION: "3", DEVICE_CODE_MAX_FAILURES_PER_ADDRESS: "5" } });
    const org = await bootstrapAdmin(throttled, "Throttled");
    app = await registerWebApp(throttled, org, "Throttled TV", ["knowledge.portalmgr.read"]);
  });
  afterAll(async () => throttled?.close());

  async function enter(agent: Agent, userCode: string) {
    const page = await agent.request("/oauth/device");
    return agent.request("/oauth/device", { form: { ...Agent.formFields(page.text), user_code: userCode } });
  }

  it("are throttled per browser session, then per address, and past the limit even the right code waits", async () => {
    const issued = await postForm(`${throttled.url}/oauth/device_authorization`, { scope: "knowledge.portalmgr.read" }, basic(app.clientId, app.secret));
    const rightCode = issued.body.user_code as string;
    const first = new Agent(throttled.url);
    for (let i = 0; i < 3; i++) expect((await enter(first, "BBBB-BBBB")).status).toBe(400);
    const refused = await enter(first, rightCode);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.text).toContain("Too many wrong codes");

    // A new session from the same address: the address's count goes on (3 of 5 used).
    const second = new Agent(throttled.url);
    expect((await enter(second, "CCCC-CCCC")).status).toBe(400);
    expect((await enter(second, "DDDD-DDDD")).status).toBe(400);
    expect((await enter(second, rightCode)).status).toBe(429);
    expect((await enter(new Agent(throttled.url), rightCode)).status).toBe(429);
    const trips = await throttled.services.db.auditEvent.findMany({ where: { action: "device_code.throttled" } });
    expect(trips.length).toBeGreaterThanOrEqual(1);
  });
});

describeWithChromium("the device flow in Chromium", () => {
  let browser: Browser | null;
  beforeAll(async () => {
    browser = await launchChromium();
    await mkdir(OUTPUT, { recursive: true });
  });
  afterAll(async () => browser?.close());

  async function page(width: number): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width, height: 900 } });
    const p = await context.newPage();
    await confineToLocalhost(p, () => ({ contentType: "text/html", body: "<h1>stub</h1>" }));
    return p;
  }

  for (const width of [1280, 390]) {
    it(`walks code, sign-in, consent and the done page at ${width} px`, async () => {
      const { device_code, verification_uri_complete } = await codes();
      const p = await page(width);
      await p.goto(verification_uri_complete);
      expect(await p.title()).toBe("Connect a device");
      await p.screenshot({ path: `${OUTPUT}device-code-${width}.png`, fullPage: true });
      await p.getByRole("button", { name: "Continue" }).click();
      await p.waitForURL((u) => u.pathname === "/oauth/login");
      await p.getByLabel("Email").fill(alice.email);
      await p.getByLabel("Password").fill(alice.password);
      await p.getByRole("button", { name: "Sign in", exact: true }).click();
      await p.waitForURL((u) => u.pathname === "/oauth/device/confirm");
      expect(await p.title()).toBe("Authorize Acme TV");
      await p.screenshot({ path: `${OUTPUT}device-consent-${width}.png`, fullPage: true });
      await p.getByRole("button", { name: "Allow" }).click();
      await p.getByRole("heading", { name: "You're all set" }).waitFor();
      await p.screenshot({ path: `${OUTPUT}device-done-${width}.png`, fullPage: true });

      // A wrong code, as a person would see it.
      await p.goto(`${server.url}/oauth/device`);
      await p.getByLabel("Code").fill("bbbb-bbbb");
      await p.getByRole("button", { name: "Continue" }).click();
      await p.getByRole("alert").waitFor();
      await p.screenshot({ path: `${OUTPUT}device-wrong-code-${width}.png`, fullPage: true });
      await p.context().close();

      const tokens = await poll(tv.clientId, device_code);
      expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    });
  }
});
