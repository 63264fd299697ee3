// Issue 25 item 2: an authenticator app (TOTP, RFC 6238) as a second factor, managed under
// "Security" at /oauth/account, with recovery codes shown once. Codes are computed here with
// otplib, as a phone would. The walk runs in Chromium; the throttle, the replay race and the
// pending session are pinned over HTTP.
import type { Browser, Page } from "playwright-core";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "./helpers/agent.ts";
import { describeWithChromium, launchChromium } from "./helpers/chromium.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { startMailCatcher, type MailCatcher } from "./helpers/smtp.ts";
import { createUser } from "./helpers/users.ts";

const KEY_SECRET = "a-test-key-encryption-secret-of-some-length";
/** A code of the time step after the current one: within the one step of skew, and later than any code used so far. */
const nextStepCode = (secret: string) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
const currentCode = (secret: string) => generate({ secret });

/** A person with a confirmed authenticator app, set up through the service as the pages do. */
async function withApp(server: TestServer, email: string) {
  const user = await createUser(server, null, email);
  const setup = await server.services.secondFactors.startTotp(user.id, email);
  const codes = await server.services.secondFactors.confirmTotp(user, await currentCode(setup!.secret), "10.9.9.9");
  expect(codes).toHaveLength(10);
  return { ...user, secret: setup!.secret, recoveryCodes: codes! };
}

/** Password accepted: the agent holds a SECOND_FACTOR session and is on the code page. */
async function passwordStep(server: TestServer, who: { email: string; password: string }) {
  const agent = new Agent(server.url);
  const res = await agent.login(who.email, who.password, "/oauth/login?return_to=%2Foauth%2Faccount");
  expect(res.status).toBe(303);
  expect(res.location).toBe("/oauth/login/second-factor?return_to=%2Foauth%2Faccount");
  const page = await agent.request(res.location!);
  expect(page.status).toBe(200);
  return { agent, csrf: Agent.formFields(page.text).csrf! };
}

describe("the second step of a sign-in, over HTTP", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { SIGN_IN_MAX_FAILURES_PER_ADDRESS: "4", SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "5", SIGN_IN_THROTTLE_WINDOW_SECONDS: "120", SCOPEKEEPER_KEY_ENCRYPTION_SECRET: KEY_SECRET },
    });
  });
  afterAll(async () => server?.close());

  it("signs in nowhere until the code passes: the pending session is not a session", async () => {
    const amy = await withApp(server, "amy@example.test");
    const { agent } = await passwordStep(server, amy);
    const account = await agent.request("/oauth/account");
    expect(account.status).toBe(303);
    expect(account.location).toMatch(/^\/oauth\/login\?/);
    const authorize = await agent.request("/oauth/authorize?client_id=scopekeeper-console&response_type=code&redirect_uri=x");
    expect(authorize.text).not.toContain("Allow");
  });

  it("keeps the authenticator app's secret sealed at rest and records the factor as an audit event", async () => {
    const ben = await withApp(server, "ben@example.test");
    const row = await server.services.db.totpFactor.findUniqueOrThrow({ where: { userId: ben.id } });
    expect(row.secretSealed.startsWith("v1.")).toBe(true);
    expect(row.secretSealed).not.toContain(ben.secret);
    const codes = await server.services.db.recoveryCode.findMany({ where: { userId: ben.id } });
    expect(codes.map((c) => c.codeHash)).not.toContain(ben.recoveryCodes[0]);
    const events = await server.services.db.auditEvent.findMany({ where: { action: "user.second_factor_added" } });
    expect(events.some((e) => JSON.parse(e.details).factor === "totp" && e.actorType === "USER")).toBe(true);
  });

  it("accepts one code once when two requests race with it", async () => {
    const cho = await withApp(server, "cho@example.test");
    const code = await nextStepCode(cho.secret);
    const a = await passwordStep(server, cho);
    const b = await passwordStep(server, cho);
    const [ra, rb] = await Promise.all([
      a.agent.request("/oauth/login/second-factor", { form: { csrf: a.csrf, return_to: "/oauth/account", code } }),
      b.agent.request("/oauth/login/second-factor", { form: { csrf: b.csrf, return_to: "/oauth/account", code } }),
    ]);
    expect([ra.status, rb.status].sort()).toEqual([303, 401]);
  });

  it("throttles wrong codes like passwords: 429 with Retry-After, and then even the right code is refused", async () => {
    const dee = await withApp(server, "dee@example.test");
    const { agent, csrf } = await passwordStep(server, dee);
    const post = (code: string) => agent.request("/oauth/login/second-factor", { form: { csrf, return_to: "/oauth/account", code } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(String(100000 + i))).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses).toContain(429);
    const refused = await post(await nextStepCode(dee.secret));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.text).toContain("Too many failed sign-in attempts");
    // The same counters as passwords: the password step is refused now too.
    const again = await new Agent(server.url).login(dee.email, dee.password, "/oauth/login?return_to=%2Foauth%2Faccount");
    expect(again.status).toBe(429);
  });
});

describeWithChromium("an authenticator app, in Chromium", () => {
  let server: TestServer;
  let smtp: MailCatcher;
  let browser: Browser;
  let page: Page;
  const eve = { email: "eve@example.test", password: "correct horse battery staple" };
  let secret = "";
  let recovery: string[] = [];
  let used = "";

  beforeAll(async () => {
    smtp = await startMailCatcher();
    server = await startTestServer({ env: { SMTP_URL: smtp.url, SCOPEKEEPER_KEY_ENCRYPTION_SECRET: KEY_SECRET } });
    await createUser(server, null, eve.email, eve.password);
    browser = (await launchChromium())!;
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
  });

  async function signIn() {
    await page.goto(`${server.url}/oauth/account`);
    await page.waitForURL((u) => u.pathname === "/oauth/login");
    await page.getByLabel("Email").fill(eve.email);
    await page.getByLabel("Password").fill(eve.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  }
  async function signOutHere() {
    await page.goto(`${server.url}/oauth/account`);
    await page.getByRole("listitem").filter({ hasText: "This browser" }).getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/login");
  }

  it("adds an authenticator app under Security: QR code, Secret key, Code, Verify, then the recovery codes once", async () => {
    await signIn();
    await page.waitForURL((u) => u.pathname === "/oauth/account");
    await expect(page.getByRole("heading", { name: "Security" }).isVisible()).resolves.toBe(true);
    await page.getByRole("button", { name: "Add authenticator app" }).click();
    await expect(page.getByRole("img", { name: /QR image/ }).locator("svg").count()).resolves.toBe(1);
    secret = (await page.getByLabel("Secret key").inputValue()).replace(/\s/g, "");
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel("Code").fill("000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("did not work");
    await page.getByLabel("Code").fill(await currentCode(secret));
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByRole("heading", { name: "Recovery codes" }).isVisible()).resolves.toBe(true);
    recovery = await page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allTextContents();
    expect(recovery).toHaveLength(10);
    expect(recovery[0]).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    const notice = await smtp.next(eve.email);
    expect(notice.subject).toBe("An authenticator app was added to your account");
    expect(notice.text).toContain(`${server.url}/oauth/account`);
    await page.getByRole("link", { name: /continue/ }).click();
    await expect(page.getByText("10 of 10 left").isVisible()).resolves.toBe(true);
  });

  it("asks for the Code after the password, and signs in with the next code", async () => {
    await signOutHere();
    await signIn();
    await page.waitForURL((u) => u.pathname === "/oauth/login/second-factor");
    used = await nextStepCode(secret);
    await page.getByLabel("Code").fill(used);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/account");
  });

  it("refuses a code already used, within its window", async () => {
    await signOutHere();
    await signIn();
    await page.waitForURL((u) => u.pathname === "/oauth/login/second-factor");
    await page.getByLabel("Code").fill(used);
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("did not work");
    expect(new URL(page.url()).pathname).toBe("/oauth/login/second-factor");
  });

  it("accepts a recovery code once", async () => {
    await page.getByLabel("Code").fill(recovery[0]!.toUpperCase());
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/account");
    await expect(page.getByText("9 of 10 left").isVisible()).resolves.toBe(true);
    await signOutHere();
    await signIn();
    await page.waitForURL((u) => u.pathname === "/oauth/login/second-factor");
    await page.getByLabel("Code").fill(recovery[0]!);
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("did not work");
    await page.getByLabel("Code").fill(recovery[1]!);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/account");
  });

  it("removes the app: a factor change audited and mailed, and sign-in asks only the password again", async () => {
    await page.getByRole("button", { name: "Remove" }).first().click();
    // A confirmation first: cancelling keeps the app.
    await expect(page.getByRole("heading", { name: "Remove authenticator app?" }).isVisible()).resolves.toBe(true);
    await page.getByRole("link", { name: "Cancel" }).click();
    await expect(page.getByText("8 of 10 left").isVisible()).resolves.toBe(true);
    await page.getByRole("button", { name: "Remove" }).first().click();
    await page.getByRole("button", { name: "Remove" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toContain("authenticator app was removed");
    expect((await smtp.next(eve.email)).subject).toBe("An authenticator app was removed from your account");
    const removed = await server.services.db.auditEvent.count({ where: { action: "user.second_factor_removed" } });
    expect(removed).toBe(1);
    await signOutHere();
    await signIn();
    await page.waitForURL((u) => u.pathname === "/oauth/account");
  });
});
