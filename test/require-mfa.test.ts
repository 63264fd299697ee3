// Issue 25 item 2: an organization can require a second factor (updateOrganization requireMfa,
// decided by the policy's account.second_factor). Its people are asked to add one at their
// next sign-in, whether they came with a password or through the organization's identity
// provider; until they do, they are signed in nowhere. People of other organizations are not.
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent } from "./helpers/agent.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { startScriptedUpstream, type ScriptedUpstream } from "./helpers/upstream-oidc.ts";
import { createUser } from "./helpers/users.ts";
import { graphqlData } from "./helpers/http.ts";

let server: TestServer;
let acme: Admin;
let globex: Admin;
let upstream: ScriptedUpstream;
let providerId = "";

const gql = (token: string, query: string, variables: Record<string, unknown> = {}) => graphqlData(server.url, token, query, variables);
const UPDATE_ORG = `mutation ($input: UpdateOrganizationInput!) { updateOrganization(input: $input) {
  __typename ... on UpdateOrganizationSuccess { organization { id name requireMfa } } } }`;
const REGISTER = `mutation ($input: RegisterIdentityProviderInput!) { registerIdentityProvider(input: $input) {
  __typename ... on RegisterIdentityProviderSuccess { identityProvider { id } } } }`;
const LINK = `mutation ($input: LinkExternalIdentityInput!) { linkExternalIdentity(input: $input) { __typename } }`;

const ACCOUNT = "/oauth/account";
const ENROL = `/oauth/account/enrol?return_to=${encodeURIComponent(ACCOUNT)}`;

beforeAll(async () => {
  server = await startTestServer();
  acme = await bootstrapAdmin(server, "Acme Corporation");
  globex = await bootstrapAdmin(server, "Globex");
  upstream = await startScriptedUpstream();
  const data = await gql(acme.token, REGISTER, {
    input: { organizationId: acme.organizationId, name: "Acme ID", issuer: upstream.issuer, audience: "acme-client", subjectMapping: "SUB", signIn: { enabled: true, clientId: "acme-client", clientSecret: "acme secret", emailDomains: ["sso.acme.example"] } },
  });
  providerId = data.registerIdentityProvider.identityProvider.id;
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

const signIn = (who: { email: string; password: string }) => new Agent(server.url).login(who.email, who.password, `/oauth/login?return_to=${encodeURIComponent(ACCOUNT)}`);

describe("updateOrganization(requireMfa)", () => {
  it("is for the organization's ADMINs: another organization's admin finds no organization, and nothing changes", async () => {
    const foreign = await gql(globex.token, UPDATE_ORG, { input: { id: acme.organizationId, requireMfa: true } });
    expect(foreign.updateOrganization.__typename).toBe("NotFoundError");
    expect((await server.services.db.organization.findUniqueOrThrow({ where: { id: acme.organizationDbId } })).requireMfa).toBe(false);
  });

  it("lets people sign in with a password alone while it is off", async () => {
    const kim = await createUser(server, acme.organizationDbId, "kim@acme.example");
    const res = await signIn(kim);
    expect(res.status).toBe(303);
    expect(res.location).toBe(ACCOUNT);
  });

  it("is set by the organization's ADMIN and recorded in the audit trail", async () => {
    const data = await gql(acme.token, UPDATE_ORG, { input: { id: acme.organizationId, requireMfa: true } });
    expect(data.updateOrganization.organization).toMatchObject({ id: acme.organizationId, requireMfa: true });
    const event = await server.services.db.auditEvent.findFirstOrThrow({ where: { action: "organization.updated" } });
    expect(JSON.parse(event.details)).toEqual({ requireMfa: true });
  });
});

describe("a required second factor at the next sign-in", () => {
  it("password path: the person adds an authenticator app before being signed in, then is asked for a code next time", async () => {
    const lee = await createUser(server, acme.organizationDbId, "lee@acme.example");
    const agent = new Agent(server.url);
    const res = await agent.login(lee.email, lee.password, `/oauth/login?return_to=${encodeURIComponent(ACCOUNT)}`);
    expect(res.status).toBe(303);
    expect(res.location).toBe(ENROL);
    // Not signed in yet: neither the account page nor an authorization request sees a person.
    expect(await server.services.sessions.get(agent.cookies.get("sk_session"))).toBeNull();
    expect((await agent.request(ACCOUNT)).location).toBe(ENROL);

    const enrol = await agent.request(ENROL);
    expect(enrol.text).toContain("Your organization asks everyone to sign in with a second factor");
    const csrf = Agent.formFields(enrol.text).csrf!;
    const setup = await agent.request("/oauth/account/totp", { form: { csrf, return_to: ACCOUNT } });
    expect(setup.status).toBe(200);
    const secret = /id="secret"[^>]*value="([A-Z2-7 ]+)"/.exec(setup.text)![1]!.replace(/ /g, "");
    const verified = await agent.request("/oauth/account/totp/verify", { form: { csrf, return_to: ACCOUNT, code: await generate({ secret }) } });
    expect(verified.status).toBe(200);
    expect(verified.text).toContain("Recovery codes");
    expect((await server.services.sessions.get(agent.cookies.get("sk_session")))?.userId).toBe(lee.id);

    const next = await signIn(lee);
    expect(next.location).toBe(`/oauth/login/second-factor?return_to=${encodeURIComponent(ACCOUNT)}`);

    // The organization's ADMINs see the change in their audit trail; another organization's do not.
    const AUDIT = `{ auditEvents(first: 50) { edges { node { action actorId targetId details } } } }`;
    const seen = (await gql(acme.token, AUDIT, {})).auditEvents.edges.map((e: { node: { action: string; targetId: string } }) => e.node);
    expect(seen).toContainEqual(expect.objectContaining({ action: "user.second_factor_added", actorId: `usr_${lee.id}`, targetId: `usr_${lee.id}`, details: JSON.stringify({ factor: "totp" }) }));
    const elsewhere = (await gql(globex.token, AUDIT, {})).auditEvents.edges.map((e: { node: { action: string } }) => e.node.action);
    expect(elsewhere).not.toContain("user.second_factor_added");
  });

  it("single sign-on path: the identity provider's answer leads to adding a factor too", async () => {
    const sam = await createUser(server, acme.organizationDbId, "sam@acme.example");
    await gql(acme.token, LINK, { input: { identityProviderId: providerId, subject: "acme-sam", userId: `usr_${sam.id}` } });
    upstream.nextClaims = () => ({ sub: "acme-sam", email: "sam@acme.example", email_verified: true });
    const agent = new Agent(server.url);
    const login = await agent.request(`/oauth/login?return_to=${encodeURIComponent(ACCOUNT)}`);
    const started = await agent.request("/oauth/sso/start", { form: { csrf: Agent.formFields(login.text).csrf!, provider: providerId, return_to: ACCOUNT } });
    expect(started.status).toBe(303);
    const atProvider = await agent.request(started.location!);
    const callback = await agent.request(atProvider.location!);
    expect(callback.status).toBe(303);
    expect(callback.location).toBe(ENROL);
    expect(await server.services.sessions.get(agent.cookies.get("sk_session"))).toBeNull();
  });

  it("leaves people of other organizations alone", async () => {
    const ola = await createUser(server, globex.organizationDbId, "ola@globex.example");
    expect((await signIn(ola)).location).toBe(ACCOUNT);
  });

  it("asks no more once the organization turns it off again", async () => {
    await gql(acme.token, UPDATE_ORG, { input: { id: acme.organizationId, requireMfa: false } });
    const kim = { email: "kim@acme.example", password: "correct horse battery staple" };
    expect((await signIn(kim)).location).toBe(ACCOUNT);
  });
});
