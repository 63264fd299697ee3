// Issue 25 item 1: single sign-on through an organization's identity provider. A real OpenID
// Provider (node-oidc-provider, in this process) signs people in, in Chromium: home-realm
// discovery by email domain, a "Continue with ..." button per provider, joining with jitRole.
// A scripted provider produces what a real one would not (a wrong audience, a foreign nonce,
// an unverified email), and each failure is a page that says what happened, never a 500.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateApplicationDocument, GrantScopesDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorizePath, pkcePair } from "./helpers/agent.ts";
import { confineToLocalhost, describeWithChromium, launchChromium } from "./helpers/chromium.ts";
import { graphql, graphqlData } from "./helpers/http.ts";
import { freePort, startTestServer, type TestServer } from "./helpers/server.ts";
import { startOidcProvider, startScriptedUpstream, type ScriptedUpstream, type Upstream } from "./helpers/upstream-oidc.ts";
import { createUser } from "./helpers/users.ts";

const OUTPUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const REDIRECT_URI = "https://client.example.test/callback";
const UPSTREAM_CLIENT = { clientId: "scopekeeper-at-acme", clientSecret: "upstream secret 8f2b4c" };

let server: TestServer;
let acme: Admin;
let globex: Admin;
let okta: Upstream;
let scripted: ScriptedUpstream;
let clientId: string;
let globexClientId: string;
let oktaId: string;
let scriptedId: string;

const gql = (token: string, query: string, variables: Record<string, unknown> = {}) => graphqlData(server.url, token, query, variables);

const PROVIDER_FIELDS = `id name signIn { enabled clientId emailDomains jitRole }`;
const REGISTER = `mutation ($input: RegisterIdentityProviderInput!) { registerIdentityProvider(input: $input) {
  __typename ... on RegisterIdentityProviderSuccess { identityProvider { ${PROVIDER_FIELDS} } }
  ... on ValidationError { fieldErrors { path code message } } } }`;
const UPDATE = `mutation ($input: UpdateIdentityProviderInput!) { updateIdentityProvider(input: $input) {
  __typename ... on UpdateIdentityProviderSuccess { identityProvider { ${PROVIDER_FIELDS} } }
  ... on ValidationError { fieldErrors { path code message } } } }`;
const LINK = `mutation ($input: LinkExternalIdentityInput!) { linkExternalIdentity(input: $input) { __typename } }`;

async function createApp(admin: Admin, name: string): Promise<string> {
  const created = (
    await graphql(server.url, admin.token, CreateApplicationDocument, {
      input: { name, applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: admin.organizationId, redirectUris: [{ uri: REDIRECT_URI }] },
    })
  ).data.createConnectApplication;
  if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
  const granted = (await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: created.application.id, kind: "DELEGATED", scopes: ["openid", "email"] } })).data.grantScopes;
  if (granted.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(granted));
  return created.application.clientId;
}

const authorizeRequest = (client: string) =>
  authorizePath({ response_type: "code", client_id: client, redirect_uri: REDIRECT_URI, scope: "openid email", state: "app-state", nonce: "n", code_challenge: pkcePair().challenge, code_challenge_method: "S256" });

beforeAll(async () => {
  server = await startTestServer({ env: { SCOPEKEEPER_KEY_ENCRYPTION_SECRET: "a-test-key-encryption-secret-of-40-chars!" } });
  acme = await bootstrapAdmin(server, "Acme Corporation");
  globex = await bootstrapAdmin(server, "Globex");
  clientId = await createApp(acme, "Acme Reports");
  globexClientId = await createApp(globex, "Globex Portal");
  okta = await startOidcProvider({ ...UPSTREAM_CLIENT, redirectUri: `${server.url}/oauth/sso/callback`, accounts: { "unverified@acme.example": { email_verified: false } } });
  scripted = await startScriptedUpstream();
  await mkdir(OUTPUT, { recursive: true });
});
afterAll(async () => {
  await server?.close();
  await okta?.close();
  await scripted?.close();
});

describe("identity providers with sign-in, over GraphQL", () => {
  it("registers sign-in settings, shows them without the secret, and keeps the secret sealed at rest", async () => {
    const data = await gql(acme.token, REGISTER, {
      input: {
        organizationId: acme.organizationId,
        name: "Acme Okta",
        issuer: okta.issuer,
        audience: UPSTREAM_CLIENT.clientId,
        subjectMapping: "EMAIL",
        signIn: { enabled: true, ...UPSTREAM_CLIENT, emailDomains: ["Acme.Example"], jitRole: "MEMBER" },
      },
    });
    const provider = data.registerIdentityProvider.identityProvider;
    expect(provider.signIn).toEqual({ enabled: true, clientId: UPSTREAM_CLIENT.clientId, emailDomains: ["acme.example"], jitRole: "MEMBER" });
    oktaId = provider.id;
    const row = await server.services.db.identityProvider.findFirstOrThrow({ where: { name: "Acme Okta" } });
    expect(row.signInClientSecret).toMatch(/^v1\./);
    expect(row.signInClientSecret).not.toContain("upstream secret");
    const events = await server.services.db.auditEvent.findMany({ where: { action: "identity_provider.registered" } });
    expect(JSON.stringify(events)).not.toContain(UPSTREAM_CLIENT.clientSecret);
  });

  it("refuses a domain another provider signs in, sign-in without a client ID, and a malformed domain", async () => {
    const taken = await gql(globex.token, REGISTER, {
      input: { organizationId: globex.organizationId, name: "Grabber", issuer: scripted.issuer, audience: "x", subjectMapping: "EMAIL", signIn: { enabled: true, clientId: "c", clientSecret: "s", emailDomains: ["globex.example", "acme.example"] } },
    });
    expect(taken.registerIdentityProvider.__typename).toBe("ValidationError");
    expect(taken.registerIdentityProvider.fieldErrors).toEqual([{ path: ["signIn", "emailDomains", "1"], code: "email_domain_taken", message: "acme.example already signs in through another identity provider" }]);
    const noClient = await gql(globex.token, REGISTER, {
      input: { organizationId: globex.organizationId, name: "Grabber", issuer: scripted.issuer, audience: "x", subjectMapping: "EMAIL", signIn: { enabled: true, emailDomains: ["not a domain"] } },
    });
    expect(noClient.registerIdentityProvider.fieldErrors.map((e: { code: string }) => e.code).sort()).toEqual(["email_domain_invalid", "sign_in_client_id_required", "sign_in_client_secret_required"]);
    expect(await server.services.db.identityProvider.count({ where: { name: "Grabber" } })).toBe(0);
  });

  it("keeps the stored secret when an update omits it", async () => {
    const before = (await server.services.db.identityProvider.findUniqueOrThrow({ where: { id: oktaId.replace(/^idp_/, "") } })).signInClientSecret;
    const data = await gql(acme.token, UPDATE, { input: { id: oktaId, signIn: { enabled: true, jitRole: "MEMBER" } } });
    expect(data.updateIdentityProvider.identityProvider.signIn.emailDomains).toEqual(["acme.example"]);
    const after = (await server.services.db.identityProvider.findUniqueOrThrow({ where: { id: oktaId.replace(/^idp_/, "") } })).signInClientSecret;
    expect(after).toBe(before);
  });

  it("registers the scripted provider for Globex, mapping by linked subject, without jitRole", async () => {
    const data = await gql(globex.token, REGISTER, {
      input: { organizationId: globex.organizationId, name: "Globex ID", issuer: scripted.issuer, audience: "globex-client", subjectMapping: "SUB", signIn: { enabled: true, clientId: "globex-client", clientSecret: "globex secret", emailDomains: ["globex.example"] } },
    });
    scriptedId = data.registerIdentityProvider.identityProvider.id;
    expect(data.registerIdentityProvider.identityProvider.signIn.jitRole).toBeNull();
  });
});

/** Starts a sign-in through the scripted provider with a scripted browser; answers the callback's response. */
async function scriptedSignIn(agent: Agent, providerId = scriptedId, returnTo = authorizeRequest(globexClientId)) {
  const login = await agent.request(`/oauth/login?return_to=${encodeURIComponent(returnTo)}`);
  const { csrf } = Agent.formFields(login.text);
  const started = await agent.request("/oauth/sso/start", { form: { csrf: csrf!, provider: providerId, return_to: returnTo } });
  if (started.status !== 303) return { started, callbackUrl: null, callback: started };
  const upstream = await agent.request(started.location!);
  const callbackUrl = upstream.location!;
  return { started, callbackUrl, callback: await agent.request(callbackUrl) };
}

describe("failures at the provider are pages that say what happened", () => {
  it("signs in the person a subject is linked to, and refuses the same answer twice (replayed state)", async () => {
    const max = await createUser(server, globex.organizationDbId, "max@globex.example");
    await gql(globex.token, LINK, { input: { identityProviderId: scriptedId, subject: "linked-max", userId: `usr_${max.id}` } });
    scripted.nextClaims = () => ({ sub: "linked-max" });
    const agent = new Agent(server.url);
    const returnTo = authorizeRequest(globexClientId);
    const { callback, callbackUrl } = await scriptedSignIn(agent, scriptedId, returnTo);
    expect(callback.status).toBe(303);
    expect(callback.location).toBe(returnTo);
    const session = await server.services.sessions.get(agent.cookies.get("sk_session"));
    expect(session?.userId).toBe(max.id);
    const replay = await agent.request(callbackUrl!);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain("This sign-in was already used");
  });

  it("refuses an ID token for another audience", async () => {
    scripted.nextClaims = () => ({ sub: "linked-max", aud: "someone-else" });
    const { callback } = await scriptedSignIn(new Agent(server.url));
    expect(callback.status).toBe(400);
    expect(callback.text).toContain("Globex ID&#39;s answer was refused");
    expect(callback.text).toContain("aud does not include the audience");
  });

  it("refuses an ID token carrying another sign-in's nonce", async () => {
    scripted.nextClaims = () => ({ sub: "linked-max", nonce: "not-this-one" });
    const { callback } = await scriptedSignIn(new Agent(server.url));
    expect(callback.status).toBe(400);
    expect(callback.text).toContain("nonce");
  });

  it("refuses an unverified email, and an unknown person when the provider has no jitRole", async () => {
    scripted.nextClaims = () => ({ sub: "u1", email: "ann@globex.example", email_verified: false });
    const unverified = (await scriptedSignIn(new Agent(server.url))).callback;
    expect(unverified.status).toBe(403);
    expect(unverified.text).toContain("has not verified the email address ann@globex.example");
    scripted.nextClaims = () => ({ sub: "u2", email: "zed@globex.example", email_verified: true });
    const unknown = (await scriptedSignIn(new Agent(server.url))).callback;
    expect(unknown.status).toBe(403);
    expect(unknown.text).toContain("does not let new people join");
    expect(await server.services.db.user.count({ where: { email: "zed@globex.example" } })).toBe(0);
  });

  it("never signs in someone outside the provider's organization, whatever email it asserts", async () => {
    await createUser(server, acme.organizationDbId, "victim@acme.example");
    scripted.nextClaims = () => ({ sub: "u3", email: "victim@acme.example", email_verified: true });
    const { callback } = await scriptedSignIn(new Agent(server.url));
    expect(callback.status).toBe(403);
    expect(callback.text).toContain("is not a member of Globex");
  });

  it("refuses a callback in another browser than the one that started the sign-in", async () => {
    scripted.nextClaims = () => ({ sub: "linked-max" });
    const agent = new Agent(server.url);
    const login = await agent.request(`/oauth/login?return_to=${encodeURIComponent(authorizeRequest(globexClientId))}`);
    const started = await agent.request("/oauth/sso/start", { form: { csrf: Agent.formFields(login.text).csrf!, provider: scriptedId, return_to: authorizeRequest(globexClientId) } });
    const upstream = await agent.request(started.location!);
    const elsewhere = await new Agent(server.url).request(upstream.location!);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.text).toContain("started in another browser");
  });

  it("says so when the provider answers with an error", async () => {
    const agent = new Agent(server.url);
    const login = await agent.request("/oauth/login");
    const started = await agent.request("/oauth/sso/start", { form: { csrf: Agent.formFields(login.text).csrf!, provider: scriptedId, return_to: "/oauth/authorize" } });
    const state = new URL(started.location!).searchParams.get("state")!;
    const res = await agent.request(`/oauth/sso/callback?error=access_denied&error_description=${encodeURIComponent("The user cancelled")}&state=${state}`);
    expect(res.status).toBe(400);
    expect(res.text).toContain("Globex ID did not sign you in");
    expect(res.text).toContain("access_denied: The user cancelled");
  });

  it("says so when the provider cannot be reached (a page, 502, not a 500)", async () => {
    const down = await gql(globex.token, REGISTER, {
      input: { organizationId: globex.organizationId, name: "Globex Down", issuer: `http://127.0.0.1:${await freePort()}`, audience: "d", subjectMapping: "EMAIL", signIn: { enabled: true, clientId: "d", clientSecret: "d" } },
    });
    const { callback } = await scriptedSignIn(new Agent(server.url), down.registerIdentityProvider.identityProvider.id);
    expect(callback.status).toBe(502);
    expect(callback.text).toContain("Globex Down cannot be reached");
    expect(callback.text).toContain("Back to sign in");
  });

  it("asks for the password when an email's domain has no provider, without counting a failed sign-in", async () => {
    const agent = new Agent(server.url);
    const login = await agent.request("/oauth/login");
    const res = await agent.request("/oauth/login", { form: { ...Agent.formFields(login.text), email: "someone@elsewhere.example", password: "" } });
    expect(res.status).toBe(400);
    expect(res.text).toContain("Enter your password.");
    expect(res.text).toContain('value="someone@elsewhere.example"');
  });

  it("answers an unknown or expired state with a page", async () => {
    const res = await new Agent(server.url).request("/oauth/sso/callback?code=x&state=never-issued");
    expect(res.status).toBe(400);
    expect(res.text).toContain("This sign-in has expired");
  });
});

describeWithChromium("single sign-on in Chromium against node-oidc-provider", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = (await launchChromium())!;
  });
  afterAll(async () => browser?.close());

  async function newPage(width = 1280): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 860 } });
    const p = await context.newPage();
    await confineToLocalhost(p, () => ({ contentType: "text/html", body: "<h1>client callback</h1>" }));
    return p;
  }

  /** The upstream's own (developer) login and consent pages. */
  async function atUpstream(p: Page, login?: string) {
    await p.waitForURL((u) => u.origin === okta.issuer);
    if (login) await p.locator('input[name="login"]').fill(login);
    await p.locator('input[name="password"]').fill("anything");
    await p.getByRole("button", { name: "Sign-in" }).click();
    await p.getByRole("button", { name: "Continue" }).click();
  }

  it("sends an email of a provider's domain to the provider without a password, and back to the app", async () => {
    const ada = await createUser(server, acme.organizationDbId, "ada@acme.example");
    const p = await newPage();
    await p.goto(`${server.url}${authorizeRequest(clientId)}`);
    await p.waitForURL((u) => u.pathname === "/oauth/login");
    await p.getByRole("button", { name: "Continue with Acme Okta" }).waitFor();
    await p.screenshot({ path: `${OUTPUT}sso-sign-in-1280.png`, fullPage: true });
    await p.setViewportSize({ width: 390, height: 860 });
    await p.screenshot({ path: `${OUTPUT}sso-sign-in-390.png`, fullPage: true });
    await p.getByLabel("Email").fill("Ada@Acme.example");
    await p.getByRole("button", { name: "Sign in", exact: true }).click();
    await p.waitForURL((u) => u.origin === okta.issuer);
    // login_hint carried the email to the provider.
    expect(await p.locator('input[name="login"]').inputValue()).toBe("Ada@Acme.example");
    await atUpstream(p, "ada@acme.example");
    await p.waitForURL((u) => u.origin === server.url && u.pathname === "/oauth/authorize");
    await p.getByRole("button", { name: "Allow" }).click();
    await p.waitForURL((u) => u.hostname === "client.example.test");
    const back = new URL(p.url());
    expect(back.searchParams.get("code")).toBeTruthy();
    expect(back.searchParams.get("state")).toBe("app-state");
    const sessions = await server.services.db.session.count({ where: { userId: ada.id } });
    expect(sessions).toBe(1);
    await p.context().close();
  });

  it("lets an unknown person of the provider join with its jitRole through 'Continue with Acme Okta'", async () => {
    const p = await newPage();
    await p.goto(`${server.url}${authorizeRequest(clientId)}`);
    await p.getByRole("button", { name: "Continue with Acme Okta" }).click();
    await atUpstream(p, "newbie@acme.example");
    await p.waitForURL((u) => u.origin === server.url && u.pathname === "/oauth/authorize");
    const user = await server.services.db.user.findUniqueOrThrow({ where: { email: "newbie@acme.example" }, include: { memberships: true } });
    expect(user.memberships.map((m) => [m.organizationId, m.role])).toEqual([[acme.organizationDbId, "MEMBER"]]);
    expect(await server.services.db.auditEvent.count({ where: { action: "membership.joined", targetId: `usr_${user.id}` } })).toBe(1);
    await p.context().close();
  });

  it("shows an unverified email's refusal as a page with a way back", async () => {
    const p = await newPage();
    await p.goto(`${server.url}${authorizeRequest(clientId)}`);
    await p.getByRole("button", { name: "Continue with Acme Okta" }).click();
    await atUpstream(p, "unverified@acme.example");
    await p.waitForURL((u) => u.origin === server.url && u.pathname === "/oauth/sso/callback");
    expect(await p.getByRole("alert").textContent()).toContain("has not verified the email address unverified@acme.example");
    await p.screenshot({ path: `${OUTPUT}sso-error-1280.png`, fullPage: true });
    await p.setViewportSize({ width: 390, height: 860 });
    await p.screenshot({ path: `${OUTPUT}sso-error-390.png`, fullPage: true });
    await p.getByRole("link", { name: "Back to sign in" }).click();
    await p.waitForURL((u) => u.pathname === "/oauth/login");
    expect(await p.locator("main").textContent()).toContain("to continue to Acme Reports");
    await p.context().close();
  });
});
