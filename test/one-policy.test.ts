// Issue 22, "One authorization model": each hole an attacker found with a person who belongs to
// two organizations, pinned over real HTTP. The operator organization is bootstrapped first;
// Pat is a MEMBER of Tenant and an ADMIN of the operator; Tia is an ADMIN of Tenant only.
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicId } from "../src/ids.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorizePath, pkcePair } from "./helpers/agent.ts";
import { startExternalIssuer, type ExternalIssuer } from "./helpers/external-issuer.ts";
import { basic, postForm } from "./helpers/http.ts";
import { consoleToken, personToken } from "./helpers/people.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { CALLBACK, codeFor } from "./helpers/user-apps.ts";
import { createUser } from "./helpers/users.ts";

const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
const IDP_AUDIENCE = "api://tenant-exchange";

let server: TestServer;
let operator: Admin;
let tenant: Admin;
let idp: ExternalIssuer;
let pat: { id: string; email: string; password: string };
let tia: { id: string; email: string; password: string };
let tenantWeb: { id: string; clientId: string; secret: string };

type Body = { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function gql(token: string, query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

const RESULT = `__typename ... on Error { code message } ... on ValidationError { fieldErrors { path code message } }`;

async function createApp(as: Admin, input: Record<string, unknown>) {
  const res = await gql(
    as.token,
    `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { ${RESULT} ... on CreateConnectApplicationSuccess { application { id clientId } } } }`,
    { i: { organizationId: as.organizationId, ...input } },
  );
  return res.body.data!.createConnectApplication;
}

async function grant(as: Admin, applicationId: string, scopes: string[], kind = "DELEGATED") {
  const res = await gql(as.token, `mutation($i: GrantScopesInput!) { grantScopes(input: $i) { ${RESULT} } }`, { i: { applicationId, scopes, kind } });
  return res.body.data!.grantScopes;
}

async function secretFor(as: Admin, applicationId: string): Promise<string> {
  const res = await gql(as.token, `mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { ... on AddClientSecretSuccess { plaintext } } }`, { i: { applicationId } });
  return res.body.data!.addClientSecret.plaintext;
}

/** A grant the policy would refuse today, as a database of an older release may hold it. */
async function legacyGrant(applicationId: string, scope: string) {
  const id = applicationId.replace(/^app_/, "");
  await server.services.db.scopeGrant.create({ data: { applicationId: id, scope, kind: "DELEGATED", grantedBy: null } });
  const app = await server.services.db.connectApplication.findUniqueOrThrow({ where: { id } });
  server.services.clients.invalidate(app.clientId);
}

beforeAll(async () => {
  server = await startTestServer();
  operator = await bootstrapAdmin(server, "Operator");
  tenant = await bootstrapAdmin(server, "Tenant");
  pat = await createUser(server, tenant.organizationDbId, "pat@both.test", "pat password 12", "MEMBER");
  await server.services.db.membership.create({ data: { organizationId: operator.organizationDbId, userId: pat.id, role: "ADMIN" } });
  tia = await createUser(server, tenant.organizationDbId, "tia@tenant.test", "tia password 12", "ADMIN");
  const web = await createApp(tenant, { name: "Tenant portal", applicationType: "OAUTH", platform: "WEB", isFirstParty: false, redirectUris: [{ uri: CALLBACK }], tokenExchange: { enabled: true } });
  if (web.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(web));
  expect((await grant(tenant, web.application.id, ["openid", "email", "offline_access", "knowledge.portalmgr.read", "core.users.manage"])).__typename).toBe("GrantScopesSuccess");
  tenantWeb = { ...web.application, secret: await secretFor(tenant, web.application.id) };
  idp = await startExternalIssuer();
  const registered = await gql(
    tenant.token,
    `mutation($i: RegisterIdentityProviderInput!) { registerIdentityProvider(input: $i) { ${RESULT} } }`,
    { i: { organizationId: tenant.organizationId, name: "Tenant IdP", issuer: idp.issuer, jwksUri: idp.jwksUri, audience: IDP_AUDIENCE, subjectMapping: "EMAIL" } },
  );
  expect(registered.body.data!.registerIdentityProvider.__typename).toBe("RegisterIdentityProviderSuccess");
});
afterAll(async () => {
  await idp?.close();
  await server?.close();
});

const exchangeFor = async (email: string, scope: string) =>
  postForm(
    `${server.url}/oauth/token`,
    { grant_type: EXCHANGE, subject_token: await idp.sign({ sub: email, aud: IDP_AUDIENCE, email, email_verified: true }), subject_token_type: JWT_TYPE, scope },
    basic(tenantWeb.clientId, tenantWeb.secret),
  );

describe("1 (HIGH): whole-account actions belong to every organization's ADMIN, or an operator ADMIN", () => {
  const reset = (as: Admin, organizationId: string, userId: string) =>
    gql(as.token, `mutation($i: CreatePasswordResetLinkInput!) { createPasswordResetLink(input: $i) { ${RESULT} ... on CreatePasswordResetLinkSuccess { resetUrl } } }`, {
      i: { organizationId, userId: publicId("User", userId) },
    });

  it("refuses a Tenant ADMIN a reset link for a person who is also the operator's ADMIN (person_in_other_organizations)", async () => {
    const r = (await reset(tenant, tenant.organizationId, pat.id)).body.data!.createPasswordResetLink;
    expect(r).toMatchObject({ __typename: "ForbiddenError", code: "person_in_other_organizations" });
    const links = await server.services.db.invitation.count({ where: { email: pat.email, purpose: "PASSWORD_RESET" } });
    expect(links).toBe(0);
  });

  it("gives the link to an ADMIN of every organization the person belongs to, and to an operator ADMIN", async () => {
    const own = (await reset(tenant, tenant.organizationId, tia.id)).body.data!.createPasswordResetLink;
    expect(own.__typename).toBe("CreatePasswordResetLinkSuccess");
    const byOperator = (await reset(operator, operator.organizationId, pat.id)).body.data!.createPasswordResetLink;
    expect(byOperator.__typename).toBe("CreatePasswordResetLinkSuccess");
  });
});

describe("2 (HIGH): a person's token acts only in the organization of the app it was issued to", () => {
  it("refuses to grant the admin API's scopes as DELEGATED to any app but the operator's first-party ones", async () => {
    const r = await grant(tenant, tenantWeb.id, ["connect.applications.manage"]);
    expect(r.__typename).toBe("ValidationError");
    expect(r.fieldErrors[0]).toMatchObject({ path: ["scopes", "0"], code: "connect_scope_first_party_only" });
    expect((await grant(tenant, tenantWeb.id, ["connect.applications.read"], "APPLICATION")).__typename).toBe("ValidationError");
  });

  it("never exchanges a Tenant IdP's token for the admin API's scopes, even where an older grant says it may", async () => {
    await legacyGrant(tenantWeb.id, "connect.applications.manage");
    const res = await exchangeFor(pat.email, "connect.applications.manage");
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_scope");
  });

  it("gives a token of the Tenant's app the person's Tenant role only, never their operator ADMIN role", async () => {
    const { accessToken } = await personToken(server, tenantWeb, pat, "openid email");
    expect(decodeJwt(accessToken).org_id).toBe(tenant.organizationId);
    const viewer = await gql(accessToken, `{ viewer { kind memberships { role organization { id } } } }`);
    expect(viewer.body.errors, JSON.stringify(viewer.body)).toBeUndefined();
    expect(viewer.body.data!.viewer.memberships).toEqual([{ role: "MEMBER", organization: { id: tenant.organizationId } }]);
    const list = await gql(accessToken, `{ applications(first: 5) { edges { node { id } } } }`);
    expect(list.body.data).toBeNull();
    expect(list.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("leaves the admin API's scopes out of a sign-in to a non-first-party app, even with an older grant", async () => {
    const { scope } = await personToken(server, tenantWeb, tia, "openid connect.applications.manage");
    expect(scope.split(" ")).toEqual(["openid"]);
  });

  it("lets the console (first-party) act in each organization with the person's role there", async () => {
    const { accessToken } = await consoleToken(server, pat);
    const viewer = await gql(accessToken, `{ viewer { memberships { role organization { id } } } }`);
    expect(viewer.body.data!.viewer.memberships).toEqual(
      expect.arrayContaining([
        { role: "MEMBER", organization: { id: tenant.organizationId } },
        { role: "ADMIN", organization: { id: operator.organizationId } },
      ]),
    );
    const tenantApp = await gql(accessToken, `query($id: ID!) { node(id: $id) { id } }`, { id: tenantWeb.id });
    expect(tenantApp.body.data!.node).toBeNull();
  });
});

describe("3 (MEDIUM): admin-consent scopes follow the ADMIN role at every grant", () => {
  it("refuses an external exchange of core.users.manage for a MEMBER, and issues it for an ADMIN", async () => {
    const member = await exchangeFor(pat.email, "core.users.manage");
    expect(member.status).toBe(400);
    expect(member.body.error).toBe("invalid_scope");
    const admin = await exchangeFor(tia.email, "core.users.manage");
    expect(admin.status).toBe(200);
    expect(admin.body.scope).toBe("core.users.manage");
  });

  it("ends a demoted ADMIN's refresh tokens that carry an admin-consent scope, and refresh drops it for anyone else", async () => {
    const boss = await createUser(server, tenant.organizationDbId, "boss@tenant.test", "boss password 12", "ADMIN");
    const { code, verifier } = await codeFor(server, tenantWeb, boss, "openid offline_access core.users.manage");
    const tokens = await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, basic(tenantWeb.clientId, tenantWeb.secret));
    expect(tokens.body.scope).toContain("core.users.manage");
    const demoted = await gql(tenant.token, `mutation($i: UpdateMemberRoleInput!) { updateMemberRole(input: $i) { ${RESULT} } }`, {
      i: { organizationId: tenant.organizationId, userId: publicId("User", boss.id), role: "MEMBER" },
    });
    expect(demoted.body.data!.updateMemberRole.__typename).toBe("UpdateMemberRoleSuccess");
    const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: String(tokens.body.refresh_token) }, basic(tenantWeb.clientId, tenantWeb.secret));
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe("invalid_grant");
    const info = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${String(tokens.body.access_token)}` } });
    expect(info.status).toBe(401);
  });
});

describe("4 (LOW): the two doors and the two databases agree", () => {
  it("lets exactly one of 8 parallel creates with one name win; the rest are name_taken", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => createApp(tenant, { name: "Raced name", applicationType: "M2M" })));
    expect(results.filter((r) => r.__typename === "CreateConnectApplicationSuccess")).toHaveLength(1);
    for (const r of results.filter((x) => x.__typename !== "CreateConnectApplicationSuccess")) {
      expect(r.fieldErrors.map((e: { code: string }) => e.code)).toEqual(["name_taken"]);
    }
  });

  it("answers a parallel duplicate clientCode with a ValidationError, never an unexpected error", async () => {
    const results = await Promise.all(
      ["Code one", "Code two", "Code three"].map((name) => createApp(tenant, { name, applicationType: "M2M", clientCode: "raced-code" })),
    );
    expect(results.filter((r) => r.__typename === "CreateConnectApplicationSuccess")).toHaveLength(1);
    for (const r of results.filter((x) => x.__typename !== "CreateConnectApplicationSuccess")) expect(r.__typename).toBe("ValidationError");
  });

  it("refuses NUL, other controls and bidi overrides in text people read with invalid_characters", async () => {
    for (const name of ["nul\u0000name", "bell\u0007", "evil\u202Egnp.exe", "iso\u2066late"]) {
      const r = await createApp(tenant, { name, applicationType: "M2M" });
      expect(r.__typename, JSON.stringify(name)).toBe("ValidationError");
      expect(r.fieldErrors).toEqual([expect.objectContaining({ path: ["name"], code: "invalid_characters" })]);
    }
    const invite = await gql(tenant.token, `mutation($i: InviteMemberInput!) { inviteMember(input: $i) { ${RESULT} } }`, {
      i: { organizationId: tenant.organizationId, email: "x\u0000@tenant.test", role: "MEMBER" },
    });
    expect(invite.body.data!.inviteMember.fieldErrors[0].code).toBe("invalid_characters");
    const secret = await gql(tenant.token, `mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { ${RESULT} } }`, {
      i: { applicationId: tenantWeb.id, description: "ci\u0000" },
    });
    expect(secret.body.data!.addClientSecret.fieldErrors[0].code).toBe("invalid_characters");
  });

  it("answers NUL in a search or a lookup with BAD_USER_INPUT, never a server error", async () => {
    for (const [query, variables] of [
      [`query($s: String) { applications(first: 5, search: $s) { edges { node { id } } } }`, { s: "a\u0000b" }],
      [`query($c: String) { application(clientId: $c) { id } }`, { c: "a\u0000b" }],
      [`query($c: String) { application(clientCode: $c) { id } }`, { c: "a\u0000b" }],
      [`query($a: String) { auditEvents(first: 5, filter: { action: $a }) { edges { node { id } } } }`, { a: "a\u0000b" }],
    ] as const) {
      const res = await gql(tenant.token, query, variables);
      expect(res.status).toBe(200);
      expect(res.body.errors?.[0]?.extensions?.code, query).toBe("BAD_USER_INPUT");
    }
  });

  it("refuses the same characters at /oauth/register, with the field named", async () => {
    const token = await gql(tenant.token, `mutation($i: CreateRegistrationTokenInput!) { createRegistrationToken(input: $i) { ... on CreateRegistrationTokenSuccess { plaintext } } }`, {
      i: { organizationId: tenant.organizationId, expiresInDays: 1, maxUses: 5 },
    });
    const plaintext = token.body.data!.createRegistrationToken.plaintext as string;
    const res = await fetch(`${server.url}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${plaintext}` },
      body: JSON.stringify({ client_name: "evil\u202Etxt", redirect_uris: [CALLBACK] }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("invalid_characters");
  });

  it("asks the person before signing out when no id_token_hint proves which app asks (no logout CSRF)", async () => {
    const agent = new Agent(server.url);
    const { challenge } = pkcePair();
    const first = await agent.request(authorizePath({ response_type: "code", client_id: tenantWeb.clientId, redirect_uri: CALLBACK, scope: "openid", state: "s", nonce: "n", code_challenge: challenge, code_challenge_method: "S256" }));
    await agent.login(tia.email, tia.password, first.location!);
    const session = () => agent.cookies.get("sk_session") ?? [...agent.cookies.keys()].find((k) => /session/i.test(k));
    const before = session();
    expect(before).toBeTruthy();
    const asked = await agent.request(`/oauth/logout?client_id=${tenantWeb.clientId}`);
    expect(asked.status).toBe(200);
    expect(asked.text).toContain("Sign out?");
    expect(session()).toBe(before);
    const count = await server.services.db.session.count({ where: { userId: tia.id } });
    expect(count).toBeGreaterThan(0);
    const confirmed = await agent.request("/oauth/logout", { form: Agent.formFields(asked.text) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain("signed out");
  });

  it("sends pre-sign-in errors only to redirect URIs everyone may use: a PUBLIC app's URI under review gets a page", async () => {
    const created = await createApp(tenant, {
      name: "Published portal",
      applicationType: "OAUTH",
      platform: "WEB",
      isFirstParty: false,
      description: "A published app.",
      logoUri: "https://client.example.test/logo.png",
      termsOfServiceUri: "https://client.example.test/terms",
      privacyPolicyUri: "https://client.example.test/privacy",
      redirectUris: [{ uri: CALLBACK }],
    });
    const appId = created.application.id;
    expect((await grant(tenant, appId, ["openid"])).__typename).toBe("GrantScopesSuccess");
    const requested = await gql(tenant.token, `mutation($i: RequestPublicationInput!) { requestPublication(input: $i) { ... on RequestPublicationSuccess { publicationRequest { id } } } }`, { i: { applicationId: appId } });
    const requestId = requested.body.data!.requestPublication.publicationRequest.id;
    const approved = await gql(operator.token, `mutation($i: ApprovePublicationInput!) { approvePublication(input: $i) { __typename } }`, { i: { requestId } });
    expect(approved.body.data!.approvePublication.__typename).toBe("ApprovePublicationSuccess");
    const NEW = "https://client.example.test/new-callback";
    const updated = await gql(tenant.token, `mutation($i: UpdateConnectApplicationInput!) { updateConnectApplication(input: $i) { __typename } }`, {
      i: { id: appId, redirectUris: [{ uri: CALLBACK, default: true }, { uri: NEW }] },
    });
    expect(updated.body.data!.updateConnectApplication.__typename).toBe("UpdateConnectApplicationSuccess");
    const { challenge } = pkcePair();
    const ask = (redirectUri: string, extra: Record<string, string>) =>
      new Agent(server.url).request(
        authorizePath({ response_type: "code", client_id: created.application.clientId, redirect_uri: redirectUri, scope: "openid", state: "s", nonce: "n", code_challenge: challenge, code_challenge_method: "S256", ...extra }),
      );
    for (const extra of [{ prompt: "none" }, { response_type: "token" }] as Record<string, string>[]) {
      const underReview = await ask(NEW, extra);
      expect(underReview.status, JSON.stringify(extra)).toBe(400);
      expect(underReview.location).toBeNull();
      const approvedUri = await ask(CALLBACK, extra);
      expect(approvedUri.status, JSON.stringify(extra)).toBe(303);
      expect(approvedUri.location).toMatch(/^https:\/\/client\.example\.test\/callback\?.*error=/);
    }
  });

  it("caps /oauth/register bodies at the /oauth limit and throttles refused registration tokens", async () => {
    const big = await fetch(`${server.url}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer skr_nope" },
      body: JSON.stringify({ client_name: "x".repeat(20 * 1024) }),
    });
    expect(big.status).toBe(413);
    const limited = await startTestServer({ env: { CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: "3" } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${limited.url}/oauth/register`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer skr_guess" },
          body: JSON.stringify({ client_name: "x", redirect_uris: [CALLBACK] }),
        });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("answers invalid_target for a resource none of the scopes belongs to, client credentials included", async () => {
    const res = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: "client_credentials", scope: "connect.applications.read", resource: "https://evil.example" },
      basic(tenant.clientId, tenant.clientSecret),
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_target");
    const fine = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: "client_credentials", scope: "connect.applications.read", resource: server.config.issuer },
      basic(tenant.clientId, tenant.clientSecret),
    );
    expect(fine.status).toBe(200);
  });
});
