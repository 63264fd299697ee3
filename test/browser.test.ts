// The authorization code flow in real headless Chromium: sign-in page, consent page, the
// decision, and the redirect back to the client. The client (https://client.example.test) is
// answered inside the browser, so nothing but 127.0.0.1 is ever contacted.
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AddSecretDocument, CreateApplicationDocument, GrantScopesDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { authorizePath, pkcePair } from "./helpers/agent.ts";
import { confineToLocalhost, describeWithChromium, launchChromium } from "./helpers/chromium.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const CLIENT = "https://client.example.test";
const REDIRECT_URI = `${CLIENT}/callback`;
const SCOPES = ["openid", "email", "knowledge.portalmgr.read", "core.users.read"];
const APP = {
  name: "Acme Reports",
  description: "Dashboards and weekly reports built from your knowledge portals and your organization's directory.",
  logoUri: `${CLIENT}/logo.png`,
  termsOfServiceUri: `${CLIENT}/terms`,
  privacyPolicyUri: `${CLIENT}/privacy`,
};
// A 1x1 PNG in the consent page's primary blue; the page scales it to the 56px logo box.
const LOGO_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPQjf4PAAJAAYi44pCeAAAAAElFTkSuQmCC", "base64");
const SCREENSHOT = fileURLToPath(new URL("../test-output/consent-page.png", import.meta.url));

let server: TestServer;
let admin: Admin;
let browser: Browser | null = null;
let clientId: string;
let clientSecret: string;
let userCount = 0;

/** A fresh browser context (no cookies) whose page reaches only 127.0.0.1 and the stubbed client. */
async function newContext(): Promise<{ context: BrowserContext; page: Page; blocked: string[] }> {
  const context = await browser!.newContext();
  const page = await context.newPage();
  const blocked = await confineToLocalhost(page, (url) =>
    url.pathname === "/logo.png"
      ? { contentType: "image/png", body: LOGO_PNG }
      : { contentType: "text/html", body: "<h1>client callback</h1>" },
  );
  return { context, page, blocked };
}

async function newMember() {
  userCount += 1;
  return createUser(server, admin.organizationDbId, `member${userCount}@acme.example`);
}

function startAuthorization(page: Page) {
  const pkce = pkcePair();
  const state = `state-${Math.random().toString(36).slice(2)}`;
  const path = authorizePath({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: SCOPES.join(" "),
    state,
    nonce: `nonce-${Date.now()}`,
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
  });
  return { pkce, state, goto: () => page.goto(`${server.url}${path}`) };
}

async function submitSignIn(page: Page, email: string, password: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** After a successful sign-in the browser is sent back into the authorization request. */
const backToAuthorize = (page: Page) => page.waitForURL((url) => url.pathname === "/oauth/authorize");

/** Signs in through the browser and returns on the consent page. */
async function signInToConsent(page: Page, user: { email: string; password: string }) {
  const flow = startAuthorization(page);
  await flow.goto();
  await submitSignIn(page, user.email, user.password);
  await backToAuthorize(page);
  expect(await page.title()).toBe(`Authorize ${APP.name}`);
  return flow;
}

function callbackParams(page: Page): URLSearchParams {
  const url = new URL(page.url());
  expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
  return url.searchParams;
}

beforeAll(async () => {
  browser = await launchChromium();
  if (!browser) return;
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Acme");
  const created = (
    await graphql(server.url, admin.token, CreateApplicationDocument, {
      input: {
        applicationType: "OAUTH",
        platform: "WEB",
        isFirstParty: false,
        organizationId: admin.organizationId,
        ...APP,
        redirectUris: [{ uri: REDIRECT_URI }],
      },
    })
  ).data.createConnectApplication;
  if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
  const app = created.application;
  clientId = app.clientId;
  const granted = (await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: app.id, kind: "DELEGATED", scopes: SCOPES } }))
    .data.grantScopes;
  if (granted.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(granted));
  const secret = (await graphql(server.url, admin.token, AddSecretDocument, { input: { applicationId: app.id } })).data.addClientSecret;
  if (secret.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(secret));
  clientSecret = secret.plaintext;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describeWithChromium("authorization in a real browser (headless Chromium)", () => {
  it("signs a member in, shows the consent page for a third-party app, and Allow returns a code the client can redeem", async () => {
    const user = await newMember();
    const { context, page, blocked } = await newContext();
    const flow = startAuthorization(page);
    await flow.goto();

    // Sign-in page, with the generic error for a wrong password.
    expect(new URL(page.url()).pathname).toBe("/oauth/login");
    expect(await page.locator("main").textContent()).toContain(`to continue to ${APP.name}`);
    await submitSignIn(page, user.email, "not the password");
    expect((await page.getByRole("alert").textContent())?.trim()).toBe("Incorrect email or password.");
    expect(await page.getByLabel("Email").inputValue()).toBe(user.email);
    await submitSignIn(page, user.email, user.password);
    await backToAuthorize(page);

    // Consent page: who is asking, and for what, grouped by hub.
    expect(await page.title()).toBe(`Authorize ${APP.name}`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(APP.name);
    expect(await page.locator("main").textContent()).toContain(APP.description);
    expect(await page.locator(".badge").textContent()).toBe("Third-party application");
    const logo = page.getByRole("img", { name: `${APP.name} logo` });
    expect(await logo.getAttribute("src")).toBe(APP.logoUri);
    expect(await logo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    expect(await page.getByRole("link", { name: "Terms of service" }).getAttribute("href")).toBe(APP.termsOfServiceUri);
    expect(await page.getByRole("link", { name: "Privacy policy" }).getAttribute("href")).toBe(APP.privacyPolicyUri);

    // The server's own identity scopes are grouped as "Your account"; hubs by their names.
    const heading = (name: string) => {
      const hub = server.services.catalog.scope(name)!.hub;
      return hub.builtIn ? "Your account" : hub.name;
    };
    const hubs = [...new Set(SCOPES.map(heading))];
    expect(hubs).toEqual(expect.arrayContaining(["Knowledge", "Core"]));
    expect(await page.locator("h2").allTextContents()).toEqual(hubs);
    for (const name of SCOPES) {
      const scope = server.services.catalog.scope(name)!;
      const underHub = page.locator("h2", { hasText: heading(name) }).locator("xpath=following-sibling::ul[1]");
      expect(await underHub.locator(`li[data-scope="${name}"]`).textContent()).toBe(scope.consent);
    }
    expect(await page.locator("li[data-scope]").count()).toBe(SCOPES.length);
    expect(await page.locator("main").textContent()).toContain(`Signed in as ${user.email}`);

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Allow: back at the client with a code, the state and the issuer (RFC 9207).
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL(`${REDIRECT_URI}?**`);
    const params = callbackParams(page);
    expect(params.get("state")).toBe(flow.state);
    expect(params.get("iss")).toBe(server.config.issuer);
    expect(params.get("error")).toBeNull();
    const code = params.get("code");
    expect(code).toBeTruthy();
    expect(await page.locator("h1").textContent()).toBe("client callback");

    const token = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: "authorization_code", code: code!, redirect_uri: REDIRECT_URI, code_verifier: flow.pkce.verifier },
      basic(clientId, clientSecret),
    );
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body.token_type).toBe("Bearer");
    expect(typeof token.body.access_token).toBe("string");
    expect(typeof token.body.id_token).toBe("string");
    expect(String(token.body.scope).split(" ").sort()).toEqual([...SCOPES].sort());

    expect(blocked).toEqual([]);
    await context.close();
  });

  it("Deny sends the browser back to the client with error=access_denied and the state", async () => {
    const { context, page } = await newContext();
    const flow = await signInToConsent(page, await newMember());
    await page.getByRole("button", { name: "Deny" }).click();
    await page.waitForURL(`${REDIRECT_URI}?**`);
    const params = callbackParams(page);
    expect(params.get("error")).toBe("access_denied");
    expect(params.get("state")).toBe(flow.state);
    expect(params.get("iss")).toBe(server.config.issuer);
    expect(params.get("code")).toBeNull();
    await context.close();
  });

  it("sets the session cookie at sign-in as HttpOnly, SameSite=Lax and Secure, scoped to /oauth", async () => {
    const { context, page } = await newContext();
    await signInToConsent(page, await newMember());
    const cookies = await context.cookies(`${server.url}/oauth/authorize`);
    const session = cookies.find((c) => c.name === "sk_session");
    expect(session, `cookies: ${cookies.map((c) => c.name).join(", ")}`).toBeDefined();
    expect(session).toMatchObject({ domain: "127.0.0.1", path: "/oauth", httpOnly: true, sameSite: "Lax", secure: true });
    expect(session!.expires).toBeGreaterThan(Date.now() / 1000);
    await context.close();
  });
});
