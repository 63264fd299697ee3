// The pages a person meets during authorization say what went wrong in RFC 6749's words, offer
// a way back or a way to switch account, and, on consent, who publishes the app, where the
// browser goes next and where access is revoked later.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateApplicationDocument, GrantScopesDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorizePath, pkcePair } from "./helpers/agent.ts";
import { confineToLocalhost, describeWithChromium, launchChromium } from "./helpers/chromium.ts";
import { graphql } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const REDIRECT_URI = "https://client.example.test/callback";
const OUTPUT = fileURLToPath(new URL("../test-output/", import.meta.url));

let server: TestServer;
let admin: Admin;
let clientId: string;
let member: { email: string; password: string };
let outsider: { email: string; password: string };

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Acme Corporation");
  const outsiders = await bootstrapAdmin(server, "Outsiders");
  const created = (
    await graphql(server.url, admin.token, CreateApplicationDocument, {
      input: {
        name: "Acme Reports",
        description: "Weekly reports from your knowledge portals.",
        applicationType: "OAUTH",
        platform: "WEB",
        isFirstParty: false,
        organizationId: admin.organizationId,
        redirectUris: [{ uri: REDIRECT_URI }],
      },
    })
  ).data.createConnectApplication;
  if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
  clientId = created.application.clientId;
  const granted = (await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: created.application.id, kind: "DELEGATED", scopes: ["openid", "email", "knowledge.portalmgr.read"] } })).data.grantScopes;
  if (granted.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(granted));
  member = await createUser(server, admin.organizationDbId, "alice@acme.test");
  outsider = await createUser(server, outsiders.organizationDbId, "mallory@outsiders.test");
});
afterAll(async () => server?.close());

const request = (extra: Record<string, string> = {}) =>
  authorizePath({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: "openid email knowledge.portalmgr.read",
    state: "st-123",
    nonce: "n-1",
    code_challenge: pkcePair().challenge,
    code_challenge_method: "S256",
    ...extra,
  });

/** Signs `who` in through the form and returns the page the authorization request then shows. */
async function signedIn(agent: Agent, who: { email: string; password: string }, path = request()) {
  const start = await agent.request(path);
  const login = await agent.login(who.email, who.password, start.location!);
  return agent.request(login.location!);
}

describe("pages that cannot go back to the application", () => {
  it("show the error code and the offending parameter for an unregistered redirect URI", async () => {
    const res = await new Agent(server.url).request(request({ redirect_uri: "https://evil.example/cb" }));
    expect(res.status).toBe(400);
    expect(res.text).toContain("This sign-in link is not valid");
    expect(res.text).toContain("<code>invalid_request</code>");
    expect(res.text).toContain("<code>redirect_uri</code> = <code>https://evil.example/cb</code>");
    expect(res.text).not.toContain('href="https://evil.example');
  });

  it("show invalid_client and the client_id for an unknown application, and no other parameter", async () => {
    const res = await new Agent(server.url).request(request({ client_id: "no-such-client", state: "do-not-echo" }));
    expect(res.status).toBe(400);
    expect(res.text).toContain("<code>invalid_client</code>");
    expect(res.text).toContain("<code>client_id</code> = <code>no-such-client</code>");
    expect(res.text).not.toContain("do-not-echo");
  });
});

describe("the private application page", () => {
  it("offers to sign in as someone else, back into the same request, and a way back to the app", async () => {
    const agent = new Agent(server.url);
    const res = await signedIn(agent, outsider);
    expect(res.status).toBe(403);
    expect(res.text).toContain("This application is private");
    expect(res.text).toContain('action="/oauth/login/switch"');
    expect(res.text).toContain("Sign in as someone else");
    const back = /href="([^"]+)">Back to Acme Reports/.exec(res.text)?.[1]?.replace(/&amp;/g, "&");
    const url = new URL(back!);
    expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
    expect(url.searchParams.get("error")).toBe("access_denied");
    expect(url.searchParams.get("state")).toBe("st-123");

    const switched = await agent.request("/oauth/login/switch", { form: Agent.formFields(res.text) });
    expect(switched.status).toBe(303);
    expect(switched.location).toMatch(/^\/oauth\/login\?return_to=%2Foauth%2Fauthorize%3F/);
    // The session is gone: the same request asks for a sign-in again, and a member reaches consent.
    const login = await agent.login(member.email, member.password, switched.location!);
    const consent = await agent.request(login.location!);
    expect(consent.status).toBe(200);
    expect(consent.text).toContain(`Signed in as ${member.email}`);
  });
});

describe("the consent page", () => {
  it("names the organization, the redirect host, where to revoke access, and has Not you?", async () => {
    const agent = new Agent(server.url);
    const res = await signedIn(agent, member);
    expect(res.status).toBe(200);
    // A PRIVATE app is not published: the page says whose it is (publication.test.ts has the PUBLIC case).
    expect(res.text).toContain("Private to <strong>Acme Corporation</strong>");
    expect(res.text).toContain("client.example.test</strong>");
    expect(res.text).toContain(`href="${server.url}/console/connected-apps"`);
    expect(res.text).toContain("Not you?");
    const switched = await agent.request("/oauth/login/switch", { form: Agent.formFields(res.text) });
    expect(switched.status).toBe(303);
    expect((await agent.request(request())).location).toMatch(/^\/oauth\/login/);
  });

  it("ignores a switch without the form's CSRF token (the session stays)", async () => {
    const agent = new Agent(server.url);
    await signedIn(agent, member);
    await agent.request("/oauth/login/switch", { form: { csrf: "forged", return_to: request() } });
    expect((await agent.request(request())).status).toBe(200);
  });
});

describeWithChromium("the pages in Chromium", () => {
  let browser: Browser | null;
  beforeAll(async () => {
    browser = await launchChromium();
    await mkdir(OUTPUT, { recursive: true });
  });
  afterAll(async () => browser?.close());

  async function page(): Promise<Page> {
    const context = await browser!.newContext();
    const p = await context.newPage();
    await confineToLocalhost(p, () => ({ contentType: "text/html", body: "<h1>client callback</h1>" }));
    return p;
  }

  async function signIn(p: Page, who: { email: string; password: string }) {
    await p.goto(`${server.url}${request()}`);
    await p.getByLabel("Email").fill(who.email);
    await p.getByLabel("Password").fill(who.password);
    await p.getByRole("button", { name: "Sign in", exact: true }).click();
    await p.waitForURL((url) => url.pathname === "/oauth/authorize");
  }

  it("renders the error, private and consent pages, and Not you? returns to sign-in for the same app", async () => {
    const p = await page();
    await p.goto(`${server.url}${request({ redirect_uri: "https://evil.example/cb" })}`);
    await p.screenshot({ path: `${OUTPUT}authorize-error-page.png`, fullPage: true });

    await signIn(p, outsider);
    expect(await p.title()).toBe("This application is private");
    await p.screenshot({ path: `${OUTPUT}private-application-page.png`, fullPage: true });
    await p.getByRole("button", { name: "Sign in as someone else" }).click();
    await p.waitForURL((url) => url.pathname === "/oauth/login");
    expect(await p.locator("main").textContent()).toContain("to continue to Acme Reports");
    await p.getByLabel("Email").fill(member.email);
    await p.getByLabel("Password").fill(member.password);
    await p.getByRole("button", { name: "Sign in", exact: true }).click();
    await p.waitForURL((url) => url.pathname === "/oauth/authorize");
    expect(await p.title()).toBe("Authorize Acme Reports");
    await p.screenshot({ path: `${OUTPUT}consent-page-details.png`, fullPage: true });
    await p.getByRole("button", { name: "Not you?" }).click();
    await p.waitForURL((url) => url.pathname === "/oauth/login");
    await p.context().close();
  });
});
