// The Credentials tab beyond secrets, in real Chromium (issue 23):
//   - an application that authenticates with private_key_jwt shows "Public keys" instead of
//     secrets: its registered keys by kid and algorithm, edited through updateConnectApplication's
//     jwks / jwksUri (one or the other), a private key refused at its field; the key added in the
//     console then signs a client assertion that earns a token;
//   - an application that uses secrets switches to public keys in the console, which says first
//     that its active secrets will be revoked (issue 24), and back to secrets after a confirmation;
//   - a NATIVE application's quick start shows the device flow, with the server's
//     device_authorization_endpoint, and the request it shows works as shown.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { confineToLocalhost, describeWithChromium, launchChromium, signInToConsole } from "./helpers/chromium.ts";
import { ASSERTION_TYPE, clientAssertion, jwksOf, newClientKey, rawGraphql, type ClientKey } from "./helpers/client-keys.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const OUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const ADA = { email: "ada@acme.example", password: "correct horse battery staple" };
const SCOPE = "knowledge.portalmgr.read";

let server: TestServer;
let acme: Admin;
let browser: Browser | null = null;
let context: BrowserContext;
let page: Page;
let keyOne: ClientKey;
let keyTwo: ClientKey;

async function create(input: Record<string, unknown>): Promise<{ id: string; clientId: string }> {
  const res = await rawGraphql(
    server.url,
    `mutation($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) {
      __typename ... on CreateConnectApplicationSuccess { application { id clientId } } ... on ValidationError { fieldErrors { path code } } } }`,
    { input: { organizationId: acme.organizationId, ...input } },
    { authorization: `Bearer ${acme.token}` },
  );
  const result = res.body.data!.createConnectApplication as { __typename: string; application?: { id: string; clientId: string } };
  expect(result.__typename, JSON.stringify(result)).toBe("CreateConnectApplicationSuccess");
  return result.application!;
}

const credentialsOf = (app: { id: string }) => `/console/applications/${encodeURIComponent(app.id)}/credentials`;

async function addSecret(app: { id: string }): Promise<string> {
  const res = await rawGraphql(
    server.url,
    `mutation($input: AddClientSecretInput!) { addClientSecret(input: $input) { __typename ... on AddClientSecretSuccess { plaintext } } }`,
    { input: { applicationId: app.id, description: "Nightly sync" } },
    { authorization: `Bearer ${acme.token}` },
  );
  return (res.body.data!.addClientSecret as { plaintext: string }).plaintext;
}

const withSecret = (clientId: string, secret: string) => postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: SCOPE }, basic(clientId, secret));
const withKey = async (key: ClientKey, clientId: string) =>
  postForm(`${server.url}/oauth/token`, {
    grant_type: "client_credentials",
    scope: SCOPE,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await clientAssertion(key, clientId, server.url),
  });

/** The page at 1280 and at 390 px wide (no sideways scrolling there), then back; a dialog as the viewport shows it. */
async function shots(name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: `${OUT}${name}-1280.png`, fullPage });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, name).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${OUT}${name}-390.png`, fullPage });
  await page.setViewportSize({ width: 1280, height: 900 });
}

describeWithChromium("the Credentials tab: public keys and the device flow", () => {
  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    server = await startTestServer();
    await bootstrapAdmin(server, "Operator");
    acme = await bootstrapAdmin(server, "Acme");
    await createUser(server, acme.organizationDbId, ADA.email, ADA.password, "ADMIN", "Ada Admin");
    keyOne = await newClientKey("ES256", "key-one" as never);
    keyTwo = await newClientKey("RS256", "key-two" as never);
    browser = await launchChromium();
    context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await confineToLocalhost(page, () => ({ contentType: "text/plain", body: "" }));
    await signInToConsole(page, server.url, ADA, "/console/");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows a private_key_jwt app's keys instead of secrets, edits them, and the key added earns a token", async () => {
    const app = await create({
      name: "Signed connector",
      applicationType: "M2M",
      scopes: [SCOPE],
      tokenEndpointAuthMethod: "PRIVATE_KEY_JWT",
      jwks: JSON.stringify(jwksOf(keyOne)),
    });
    await page.goto(`${server.url}${credentialsOf(app)}`);
    const section = page.locator("section", { has: page.getByRole("heading", { name: "Public keys" }) });
    await section.getByRole("row", { name: /key-one/ }).waitFor();
    expect(await section.getByRole("row", { name: /key-one/ }).textContent()).toContain("ES256");
    expect(await page.getByRole("button", { name: "Add secret" }).count()).toBe(0);
    expect(await page.getByRole("heading", { name: "Client secrets" }).count()).toBe(0);
    const quickStart = await page.locator(".quick-start pre").textContent();
    expect(quickStart).toContain(`client_assertion_type=${ASSERTION_TYPE}`);
    expect(quickStart).toContain(`aud = ${server.url}`);
    expect(quickStart).not.toContain("CLIENT_SECRET");
    await page.screenshot({ path: `${OUT}console-public-keys.png`, fullPage: true });

    // The console's own rule first (the server's limit), then the server's: a private key is refused at its field.
    await section.getByRole("button", { name: "Edit public keys" }).click();
    const form = page.getByRole("form", { name: "Edit public keys" });
    const field = form.getByLabel("JWK Set", { exact: true });
    expect(JSON.parse(await field.inputValue())).toEqual(jwksOf(keyOne));
    await field.fill(" ".repeat(16_385));
    await form.getByRole("button", { name: "Save public keys" }).click();
    await form.getByText("At most 16384 characters.").waitFor();
    await field.fill(JSON.stringify({ keys: [{ ...keyOne.publicJwk, d: "c2VjcmV0" }] }));
    await form.getByRole("button", { name: "Save public keys" }).click();
    await form.getByText("Must hold public keys only: a private key was sent").waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    await page.screenshot({ path: `${OUT}console-public-keys-error.png`, fullPage: true });

    // Both keys, rotated in: the table lists them and the new key signs an assertion that is accepted.
    await field.fill(JSON.stringify(jwksOf(keyOne, keyTwo), null, 2));
    await form.getByRole("button", { name: "Save public keys" }).click();
    await page.getByRole("status").filter({ hasText: "Public keys saved." }).waitFor();
    await section.getByRole("row", { name: /key-two/ }).waitFor();
    expect(await section.getByRole("row", { name: /key-two/ }).textContent()).toContain("RS256");
    const token = await postForm(`${server.url}/oauth/token`, {
      grant_type: "client_credentials",
      scope: SCOPE,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(keyTwo, app.clientId, server.url),
    });
    expect(token.status, JSON.stringify(token.body)).toBe(200);

    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${OUT}console-public-keys-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Or a URL where the application publishes them: the key set kept here is cleared.
    await section.getByRole("button", { name: "Edit public keys" }).click();
    await form.getByLabel("A URL where the application publishes them").check();
    await form.getByLabel("JWKS URL").fill("https://keys.acme.example/jwks.json");
    await form.getByRole("button", { name: "Save public keys" }).click();
    await section.getByText("Keys published at").waitFor();
    await section.getByText("https://keys.acme.example/jwks.json").waitFor();
    const stored = await server.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: app.clientId } });
    expect({ jwks: stored.jwks, jwksUri: stored.jwksUri }).toEqual({ jwks: null, jwksUri: "https://keys.acme.example/jwks.json" });
    await page.screenshot({ path: `${OUT}console-public-keys-uri.png`, fullPage: true });
  }, 120_000);

  it("switches an M2M app from secrets to public keys, revoking its secrets, and back to a new secret", async () => {
    const app = await create({ name: "Key switcher", applicationType: "M2M", scopes: [SCOPE] });
    const oldSecret = await addSecret(app);
    expect((await withSecret(app.clientId, oldSecret)).status).toBe(200);
    const key = await newClientKey("ES256", "switch-key" as never);

    await page.goto(`${server.url}${credentialsOf(app)}`);
    await page.getByRole("row", { name: /Nightly sync/ }).waitFor();
    const toKeys = page.getByRole("button", { name: "Use public keys instead", exact: true });
    await shots("keyswitch-secrets");

    await toKeys.click();
    const form = page.getByRole("form", { name: "Switch to public keys" });
    await form.waitFor();
    expect(await toKeys.count()).toBe(0);
    const warning = form.locator(".notice.warning");
    expect(await warning.textContent()).toContain("The active client secret will be revoked when you save.");
    expect(await warning.isVisible()).toBe(true);
    const save = form.getByRole("button", { name: "Revoke secrets and switch" });
    // The server's rule lands at its field, and nothing is revoked by a refused switch.
    const field = form.getByLabel("JWK Set", { exact: true });
    await field.fill(JSON.stringify({ keys: [{ ...key.publicJwk, d: "c2VjcmV0" }] }));
    await save.click();
    await form.getByText("Must hold public keys only: a private key was sent").waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    expect((await withSecret(app.clientId, oldSecret)).status).toBe(200);
    await field.fill(JSON.stringify(jwksOf(key), null, 2));
    await shots("keyswitch-form");

    await save.click();
    const section = page.locator("section", { has: page.getByRole("heading", { name: "Public keys" }) });
    await section.getByRole("row", { name: /switch-key/ }).waitFor();
    await page.getByRole("status").filter({ hasText: "Public keys saved. The active client secret was revoked." }).waitFor();
    expect(await page.getByRole("heading", { name: "Client secrets" }).count()).toBe(0);
    const signed = await withKey(key, app.clientId);
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    const refused = await withSecret(app.clientId, oldSecret);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe("invalid_client");
    await shots("keyswitch-keys");

    await section.getByRole("button", { name: "Use client secrets instead", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Use client secrets instead?" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("The registered public keys will be removed");
    await shots("keyswitch-confirm", false);
    await dialog.getByRole("button", { name: "Remove keys" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("heading", { name: "Client secrets" }).waitFor();
    await page.getByRole("status").filter({ hasText: "Public keys removed." }).waitFor();
    expect(await page.getByRole("heading", { name: "Public keys" }).count()).toBe(0);
    const stored = await server.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: app.clientId } });
    expect({ method: stored.tokenEndpointAuthMethod, jwks: stored.jwks, jwksUri: stored.jwksUri }).toEqual({ method: "CLIENT_SECRET_BASIC", jwks: null, jwksUri: null });
    expect((await withKey(key, app.clientId)).status).toBe(401);
    expect((await withSecret(app.clientId, oldSecret)).status).toBe(401);
    expect(await page.getByRole("row", { name: /Nightly sync/ }).textContent()).toContain("Revoked");
    await shots("keyswitch-back");

    await page.getByRole("button", { name: "Add secret" }).click();
    const add = page.getByRole("dialog");
    await add.getByLabel("Description").fill("After the switch");
    await add.getByRole("button", { name: "Create secret" }).click();
    const newSecret = await add.getByLabel("Client secret").inputValue();
    await add.getByRole("button", { name: "Done" }).click();
    await add.waitFor({ state: "detached" });
    expect((await withSecret(app.clientId, newSecret)).status).toBe(200);
    expect((await withSecret(app.clientId, oldSecret)).status).toBe(401);
  }, 120_000);

  it("walks an OAuth Web app from secrets to a JWKS URL and back", async () => {
    const app = await create({ name: "Web switcher", applicationType: "OAUTH", platform: "WEB", isFirstParty: false, redirectUris: [{ uri: "https://web.acme.example/callback" }] });
    await page.goto(`${server.url}${credentialsOf(app)}`);
    await page.getByRole("button", { name: "Use public keys instead", exact: true }).click();
    const form = page.getByRole("form", { name: "Switch to public keys" });
    // No secret yet: nothing to revoke, and the form does not pretend otherwise.
    expect(await form.locator(".notice.warning").count()).toBe(0);
    await form.getByLabel("A URL where the application publishes them").check();
    await form.getByLabel("JWKS URL").fill("http://keys.acme.example/jwks.json");
    await form.getByRole("button", { name: "Switch to public keys" }).click();
    await form.getByText("Must use https").waitFor();
    await form.getByLabel("JWKS URL").fill("https://keys.acme.example/jwks.json");
    await form.getByRole("button", { name: "Switch to public keys" }).click();
    const section = page.locator("section", { has: page.getByRole("heading", { name: "Public keys" }) });
    await section.getByText("https://keys.acme.example/jwks.json").waitFor();
    await page.getByRole("status").filter({ hasText: "Public keys saved." }).waitFor();

    await section.getByRole("button", { name: "Use client secrets instead", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Use client secrets instead?" });
    expect(await dialog.textContent()).toContain("https://keys.acme.example/jwks.json");
    await dialog.getByRole("button", { name: "Remove keys" }).click();
    await page.getByRole("button", { name: "Add secret" }).waitFor();
    await page.getByText("No secrets yet").waitFor();
    const stored = await server.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: app.clientId } });
    expect({ method: stored.tokenEndpointAuthMethod, jwksUri: stored.jwksUri }).toEqual({ method: "CLIENT_SECRET_BASIC", jwksUri: null });
  }, 120_000);

  it("shows a NATIVE app the device flow, whose first request works as shown", async () => {
    const app = await create({ name: "TV app", applicationType: "OAUTH", platform: "NATIVE", isFirstParty: false, redirectUris: [{ uri: "com.acme.tv:/callback" }], scopes: ["knowledge.articles.read"] });
    const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { device_authorization_endpoint: string };
    await page.goto(`${server.url}${credentialsOf(app)}`);
    const endpoints = page.locator(".endpoints");
    await endpoints.getByText("Device authorization URL").waitFor();
    expect(await endpoints.locator(".copy-list").textContent()).toContain(metadata.device_authorization_endpoint);
    const quickStart = (await page.locator(".quick-start pre").textContent())!;
    expect(quickStart).toContain("the device flow (RFC 8628)");
    expect(quickStart).toContain(`curl ${metadata.device_authorization_endpoint} -d client_id=${app.clientId} -d scope="knowledge.articles.read"`);
    expect(quickStart).toContain("grant_type=urn:ietf:params:oauth:grant-type:device_code");
    await page.locator(".quick-start").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${OUT}console-native-device-flow.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${OUT}console-native-device-flow-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // The request as the quick start shows it: a device code and a user code for this app.
    const device = await postForm(metadata.device_authorization_endpoint, { client_id: app.clientId, scope: "knowledge.articles.read" });
    expect(device.status, JSON.stringify(device.body)).toBe(200);
    expect(device.body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const poll = await postForm(`${server.url}/oauth/token`, { grant_type: "urn:ietf:params:oauth:grant-type:device_code", client_id: app.clientId, device_code: String(device.body.device_code) });
    expect(poll.body.error).toBe("authorization_pending");

    // The sign-in request it shows asks only for what was granted (openid too must be granted,
    // and then needs a nonce): with nothing granted yet it says so instead of a request that fails.
    expect(quickStart).toContain("&scope=knowledge.articles.read&state=$STATE&code_challenge=");
    const bare = await create({ name: "Nothing granted", applicationType: "OAUTH", platform: "NATIVE", isFirstParty: false, redirectUris: [{ uri: "com.acme.bare:/callback" }] });
    await page.goto(`${server.url}${credentialsOf(bare)}`);
    const bareQuickStart = (await page.locator(".quick-start pre").textContent())!;
    expect(bareQuickStart).toContain("&scope=<a scope granted under Permissions>&state=");
    expect(bareQuickStart).not.toContain("scope=openid");
  }, 120_000);
});
