// Issue 25 item 2 (passkeys): "Add passkey" under Security and "Sign in with a passkey" on the
// sign-in page, through SimpleWebAuthn (server and browser bundle, both served from this
// origin under a CSP of script-src 'self'). Chromium runs with a CDP virtual authenticator
// (internal, resident keys, user verification). WebAuthn needs a domain for the relying party
// id, so this server's issuer is http://localhost:PORT (a secure context like https).
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent } from "./helpers/agent.ts";
import { CHROMIUM_PATH, describeWithChromium } from "./helpers/chromium.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { startMailCatcher, type MailCatcher } from "./helpers/smtp.ts";
import { createUser } from "./helpers/users.ts";

describeWithChromium("passkeys, in Chromium with a virtual authenticator", () => {
  let server: TestServer;
  let smtp: MailCatcher;
  let browser: Browser;
  let page: Page;
  const cspErrors: string[] = [];
  const uma = { email: "uma@example.test", password: "correct horse battery staple" };

  beforeAll(async () => {
    smtp = await startMailCatcher();
    server = await startTestServer({ issuerHost: "localhost", env: { SMTP_URL: smtp.url } });
    await createUser(server, null, uma.email, uma.password);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        // localhost is this machine; nothing else resolves.
        "--host-resolver-rules=MAP localhost 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    });
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
  });

  async function signOutHere() {
    await page.goto(`${server.url}/oauth/account`);
    await page.getByRole("listitem").filter({ hasText: "This browser" }).getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/login");
  }

  it("adds a passkey under Security (relying party id = the issuer's host), audited", async () => {
    await page.goto(`${server.url}/oauth/account`);
    await page.getByLabel("Email").fill(uma.email);
    await page.getByLabel("Password").fill(uma.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/account");
    await page.getByRole("button", { name: "Add passkey" }).click();
    await page.waitForURL((u) => u.searchParams.get("done") === "passkey_added");
    await expect(page.getByRole("status").textContent()).resolves.toContain("Your passkey was added");
    await expect(page.getByText("Passkey 1").isVisible()).resolves.toBe(true);
    const row = await server.services.db.passkey.findFirstOrThrow();
    expect(row.publicKey.length).toBeGreaterThan(40);
    const event = await server.services.db.auditEvent.findFirstOrThrow({ where: { action: "user.second_factor_added" } });
    expect(JSON.parse(event.details)).toMatchObject({ factor: "passkey" });
    expect(server.services.passkeys.rpId).toBe("localhost");
    expect((await smtp.next(uma.email)).subject).toBe("A passkey was added to your account");
  });

  it("signs in with the passkey alone: no password asked", async () => {
    await signOutHere();
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/account");
    const session = await server.services.db.session.findFirstOrThrow({ where: { stage: "ACTIVE" }, orderBy: { createdAt: "desc" } });
    expect(session.method).toBe("passkey");
  });

  it("counts as a second factor after the password", async () => {
    await signOutHere();
    await page.getByLabel("Email").fill(uma.email);
    await page.getByLabel("Password").fill(uma.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/login/second-factor");
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/account");
    const session = await server.services.db.session.findFirstOrThrow({ where: { stage: "ACTIVE" }, orderBy: { createdAt: "desc" } });
    expect(session.method).toBe("password+passkey");
  });

  it("refuses a passkey this server no longer knows, with a message", async () => {
    const row = await server.services.db.passkey.findFirstOrThrow();
    await page.getByRole("button", { name: "Remove" }).first().click();
    await expect(page.getByRole("heading", { name: "Remove Passkey 1?" }).isVisible()).resolves.toBe(true);
    await page.getByRole("button", { name: "Remove" }).click();
    await page.waitForURL((u) => u.searchParams.get("done") === "passkey_removed");
    expect(await server.services.db.passkey.count({ where: { id: row.id } })).toBe(0);
    expect((await smtp.next(uma.email)).subject).toBe("A passkey was removed from your account");
    await signOutHere();
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("This passkey is not known here");
    expect(new URL(page.url()).pathname).toBe("/oauth/login");
  });

  it("ran under the strict CSP: scripts from this origin only, nothing blocked", async () => {
    const res = await fetch(`${server.url}/oauth/login`);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline[^;]*;.*script|script-src[^;]*unsafe/);
    const html = await res.text();
    expect([...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1])).toEqual(["/oauth/assets/simplewebauthn-browser.js", "/oauth/assets/passkeys.js"]);
    const bundle = await fetch(`${server.url}/oauth/assets/simplewebauthn-browser.js`);
    expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await bundle.text()).toContain("SimpleWebAuthnBrowser");
    expect(cspErrors).toEqual([]);
  });
});

it("refuses a passkey answer without the page's CSRF token, and one to a challenge never handed out", async () => {
  const server = await startTestServer();
  try {
    const agent = new Agent(server.url);
    const login = await agent.request("/oauth/login");
    const csrf = Agent.formFields(login.text).csrf!;
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join("; ") }, body: JSON.stringify(body) });
    expect((await post("/oauth/login/passkey/options", { csrf: "forged" })).status).toBe(403);
    const answer = await post("/oauth/login/passkey", { csrf, response: { id: "x", rawId: "x", type: "public-key", response: {} }, return_to: "/oauth/account" });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { message: string }).message).toContain("expired");
    expect(await server.services.db.session.count()).toBe(0);
  } finally {
    await server.close();
  }
});
