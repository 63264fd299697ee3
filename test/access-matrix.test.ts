// The access matrix (issue 22): every kind of caller against every registry door, on objects
// of each of two organizations, over real HTTP. The callers are declared by hand as the table a
// reviewer reads (which organizations each acts in, with which role, and which registry scopes
// its token holds); the expected answer of every cell follows from the policy's rules in
// src/access/policy.ts:
//   registry.read / registry.manage   no scope                      -> forbidden
//   organization.administer / application.see   not ADMIN there     -> hidden (absent / NotFound)
//   otherwise                                                       -> allowed
// The matrix fails if a rule of the policy is neither a column here nor named in COVERED_ELSEWHERE.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RULES, type RuleName } from "../src/access/policy.ts";
import { publicId } from "../src/ids.ts";
import { issueAccessToken } from "../src/oauth/issuance/access-token.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { startExternalIssuer, type ExternalIssuer } from "./helpers/external-issuer.ts";
import { basic, clientCredentialsToken, postForm } from "./helpers/http.ts";
import { consoleToken, personToken } from "./helpers/people.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { CALLBACK } from "./helpers/user-apps.ts";
import { createUser } from "./helpers/users.ts";

type Org = "operator" | "tenant";
type Role = "ADMIN" | "MEMBER";
type Outcome = "allowed" | "hidden" | "forbidden" | "unauthenticated";

interface Caller {
  name: string;
  /** The organizations the token acts in, with the role there (tenancy). */
  acts: Partial<Record<Org, Role>>;
  read: boolean;
  manage: boolean;
  token: () => Promise<string>;
}

interface Target {
  organizationId: string;
  organizationDbId: string;
  appId: string;
  memberId: string;
}

interface Door {
  rule: RuleName;
  name: string;
  need: "read" | "manage";
  run(token: string, target: Target): Promise<Outcome>;
}

/** Rules asked at the OAuth endpoints, tested there. */
const COVERED_ELSEWHERE: Partial<Record<RuleName, string>> = {
  "tenancy.token_acts_in_its_application_organization": "the callers below (each acts as its tenancy says) and test/one-policy.test.ts",
  "application.first_party": "test/close-the-holes.test.ts (first-party applications belong to the operator)",
  "publication.decide": "test/publication.test.ts",
  "organization.create": "test/organizations.test.ts (operator ADMINs only; operator_only for anyone else)",
  "account.whole": "test/one-policy.test.ts (1 HIGH)",
  "sso.sign_in": "test/sso-sign-in-rule.test.ts (every row) and test/sso.test.ts (end to end against real providers)",
  "account.second_factor": "test/require-mfa.test.ts (password and single sign-on paths)",
  "viewer.own_organizations": "test/one-policy.test.ts (2 HIGH)",
  "oauth.authorize": "test/publication.test.ts, test/authorization.test.ts",
  "oauth.connect_scopes": "test/one-policy.test.ts (2 HIGH) and test/access-property.test.ts",
  "oauth.admin_consent": "test/one-policy.test.ts (3 MEDIUM), test/close-the-holes.test.ts",
  "oauth.act_for_person": "test/token-exchange.test.ts",
  "oauth.subject_is_member": "test/token-exchange.test.ts, test/one-policy.test.ts",
};

let server: TestServer;
let idp: ExternalIssuer;
const targets = {} as Record<Org, Target>;
const admins = {} as Record<Org, Admin>;
let tenantWeb: { clientId: string; secret: string };

type Body = { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function gql(token: string, query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

/** A query's answer: null or empty means hidden; a FORBIDDEN error means the scope is missing. */
async function read(token: string, query: string, variables: Record<string, unknown>, seen: (data: Record<string, any>) => boolean): Promise<Outcome> {
  const res = await gql(token, query, variables);
  if (res.status === 401) return "unauthenticated";
  if (res.body.errors?.some((e) => e.extensions?.code === "FORBIDDEN")) return "forbidden";
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return seen(res.body.data!) ? "allowed" : "hidden";
}

/** A mutation's union answer. */
async function mutate(token: string, field: string, query: string, variables: Record<string, unknown>): Promise<Outcome> {
  const res = await gql(token, query, variables);
  if (res.status === 401) return "unauthenticated";
  const r = res.body.data?.[field];
  if (!r) throw new Error(JSON.stringify(res.body));
  if (r.__typename === "ForbiddenError") return "forbidden";
  if (r.__typename === "NotFoundError") return "hidden";
  if (r.__typename === "ValidationError" && r.fieldErrors.some((e: { code: string }) => e.code === "organization_not_found")) return "hidden";
  if (String(r.__typename).endsWith("Success")) return "allowed";
  throw new Error(`${field}: ${JSON.stringify(r)}`);
}

let serial = 0;
const DOORS: Door[] = [
  {
    rule: "application.see",
    name: "application(id)",
    need: "read",
    run: (token, t) => read(token, `query($id: ID) { application(id: $id) { id } }`, { id: t.appId }, (d) => d.application !== null),
  },
  {
    rule: "application.see",
    name: "applications(organizationId)",
    need: "read",
    run: (token, t) => read(token, `query($o: ID) { applications(first: 5, organizationId: $o) { edges { node { id } } } }`, { o: t.organizationId }, (d) => d.applications.edges.length > 0),
  },
  {
    rule: "application.see",
    name: "updateConnectApplication",
    need: "manage",
    run: (token, t) =>
      mutate(token, "updateConnectApplication", `mutation($i: UpdateConnectApplicationInput!) { updateConnectApplication(input: $i) { __typename ... on ValidationError { fieldErrors { code } } } }`, {
        i: { id: t.appId, description: `touched ${++serial}` },
      }),
  },
  {
    rule: "application.see",
    name: "grantScopes",
    need: "manage",
    run: (token, t) =>
      mutate(token, "grantScopes", `mutation($i: GrantScopesInput!) { grantScopes(input: $i) { __typename ... on ValidationError { fieldErrors { code } } } }`, {
        i: { applicationId: t.appId, scopes: ["knowledge.portalmgr.read"], kind: "APPLICATION" },
      }),
  },
  {
    rule: "organization.administer",
    name: "organization(id) { members }",
    need: "read",
    run: (token, t) => read(token, `query($id: ID!) { organization(id: $id) { members { userId } } }`, { id: t.organizationId }, (d) => d.organization !== null),
  },
  {
    rule: "organization.administer",
    name: "identityProviders(organizationId)",
    need: "read",
    run: (token, t) => read(token, `query($o: ID) { identityProviders(organizationId: $o) { id } }`, { o: t.organizationId }, (d) => d.identityProviders.length > 0),
  },
  {
    rule: "organization.administer",
    name: "auditEvents(organizationId)",
    need: "read",
    run: (token, t) => read(token, `query($o: ID) { auditEvents(first: 5, filter: { organizationId: $o }) { edges { node { id } } } }`, { o: t.organizationId }, (d) => d.auditEvents.edges.length > 0),
  },
  {
    rule: "organization.administer",
    name: "inviteMember",
    need: "manage",
    run: (token, t) =>
      mutate(token, "inviteMember", `mutation($i: InviteMemberInput!) { inviteMember(input: $i) { __typename ... on ValidationError { fieldErrors { code } } } }`, {
        i: { organizationId: t.organizationId, email: `invitee${++serial}@matrix.test`, role: "MEMBER" },
      }),
  },
  {
    rule: "organization.administer",
    name: "createRegistrationToken",
    need: "manage",
    run: (token, t) =>
      mutate(token, "createRegistrationToken", `mutation($i: CreateRegistrationTokenInput!) { createRegistrationToken(input: $i) { __typename ... on ValidationError { fieldErrors { code } } } }`, {
        i: { organizationId: t.organizationId, expiresInDays: 1, maxUses: 1 },
      }),
  },
  {
    rule: "account.whole",
    name: "createPasswordResetLink (a person only in that organization)",
    need: "manage",
    run: (token, t) =>
      mutate(token, "createPasswordResetLink", `mutation($i: CreatePasswordResetLinkInput!) { createPasswordResetLink(input: $i) { __typename } }`, {
        i: { organizationId: t.organizationId, userId: publicId("User", t.memberId) },
      }),
  },
  {
    rule: "registry.read",
    name: "scopeCatalog",
    need: "read",
    run: (token) => read(token, `{ scopeCatalog { id } }`, {}, () => true),
  },
];

function expected(caller: Caller, door: Door, org: Org): Outcome {
  if (!(door.need === "read" ? caller.read : caller.manage)) return "forbidden";
  if (door.rule === "registry.read") return "allowed";
  return caller.acts[org] === "ADMIN" ? "allowed" : "hidden";
}

const people = {} as Record<"oscar" | "tara" | "milo" | "pat", { id: string; email: string; password: string }>;
const manage = "openid connect.applications.read connect.applications.manage";

const CALLERS: Caller[] = [
  { name: "operator's M2M admin app", acts: { operator: "ADMIN" }, read: true, manage: true, token: async () => admins.operator.token },
  { name: "tenant's M2M admin app", acts: { tenant: "ADMIN" }, read: true, manage: true, token: async () => admins.tenant.token },
  {
    name: "tenant's M2M admin app with read only",
    acts: { tenant: "ADMIN" },
    read: true,
    manage: false,
    token: () => clientCredentialsToken(server.url, admins.tenant.clientId, admins.tenant.clientSecret, "connect.applications.read"),
  },
  { name: "operator ADMIN through the console", acts: { operator: "ADMIN" }, read: true, manage: true, token: async () => (await consoleToken(server, people.oscar, manage)).accessToken },
  { name: "tenant ADMIN through the console", acts: { tenant: "ADMIN" }, read: true, manage: true, token: async () => (await consoleToken(server, people.tara, manage)).accessToken },
  { name: "tenant MEMBER through the console", acts: { tenant: "MEMBER" }, read: true, manage: false, token: async () => (await consoleToken(server, people.milo, manage)).accessToken },
  {
    name: "tenant MEMBER + operator ADMIN through the console",
    acts: { tenant: "MEMBER", operator: "ADMIN" },
    read: true,
    manage: true,
    token: async () => (await consoleToken(server, people.pat, manage)).accessToken,
  },
  {
    name: "tenant MEMBER + operator ADMIN through the tenant's app",
    acts: { tenant: "MEMBER" },
    read: false,
    manage: false,
    token: async () => (await personToken(server, tenantWeb, people.pat, manage)).accessToken,
  },
  {
    name: "a token of the tenant's app from an older release, carrying the admin API's scopes",
    acts: { tenant: "MEMBER" },
    read: false,
    manage: false,
    token: async () =>
      (
        await issueAccessToken(server.services.keys, server.services.catalog, server.config.issuer, {
          subject: publicId("User", people.pat.id),
          clientId: tenantWeb.clientId,
          organizationId: admins.tenant.organizationDbId,
          scopes: ["connect.applications.read", "connect.applications.manage"],
          ttlSeconds: 300,
        })
      ).token,
  },
  {
    name: "tenant ADMIN through token exchange at the tenant's app",
    acts: { tenant: "ADMIN" },
    read: false,
    manage: false,
    token: async () => {
      const subject = await idp.sign({ sub: people.tara.email, aud: "api://matrix", email: people.tara.email, email_verified: true });
      const res = await postForm(
        `${server.url}/oauth/token`,
        { grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", subject_token: subject, subject_token_type: "urn:ietf:params:oauth:token-type:jwt", scope: "openid" },
        basic(tenantWeb.clientId, tenantWeb.secret),
      );
      if (res.status !== 200) throw new Error(JSON.stringify(res.body));
      return String(res.body.access_token);
    },
  },
];

beforeAll(async () => {
  server = await startTestServer();
  idp = await startExternalIssuer();
  for (const org of ["operator", "tenant"] as const) {
    const admin = await bootstrapAdmin(server, org === "operator" ? "Operator" : "Tenant");
    admins[org] = admin;
    const app = await gql(admin.token, `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { ... on CreateConnectApplicationSuccess { application { id } } } }`, {
      i: { name: `${org} robot`, applicationType: "M2M", organizationId: admin.organizationId },
    });
    const member = await createUser(server, admin.organizationDbId, `only-${org}@matrix.test`);
    await gql(admin.token, `mutation($i: RegisterIdentityProviderInput!) { registerIdentityProvider(input: $i) { __typename } }`, {
      i: { organizationId: admin.organizationId, name: `${org} IdP`, issuer: idp.issuer, jwksUri: idp.jwksUri, audience: "api://matrix", subjectMapping: "EMAIL" },
    });
    targets[org] = { organizationId: admin.organizationId, organizationDbId: admin.organizationDbId, appId: app.body.data!.createConnectApplication.application.id, memberId: member.id };
  }
  people.oscar = await createUser(server, admins.operator.organizationDbId, "oscar@matrix.test", "oscar password 1", "ADMIN");
  people.tara = await createUser(server, admins.tenant.organizationDbId, "tara@matrix.test", "tara password 1", "ADMIN");
  people.milo = await createUser(server, admins.tenant.organizationDbId, "milo@matrix.test", "milo password 1", "MEMBER");
  people.pat = await createUser(server, admins.tenant.organizationDbId, "pat@matrix.test", "pat password 12", "MEMBER");
  await server.services.db.membership.create({ data: { organizationId: admins.operator.organizationDbId, userId: people.pat.id, role: "ADMIN" } });
  const web = await gql(admins.tenant.token, `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { ... on CreateConnectApplicationSuccess { application { id clientId } } } }`, {
    i: { name: "Tenant web", applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: admins.tenant.organizationId, redirectUris: [{ uri: CALLBACK }], tokenExchange: { enabled: true } },
  });
  const webApp = web.body.data!.createConnectApplication.application;
  await gql(admins.tenant.token, `mutation($i: GrantScopesInput!) { grantScopes(input: $i) { __typename } }`, { i: { applicationId: webApp.id, scopes: ["openid"], kind: "DELEGATED" } });
  // An older release let a tenant grant the admin API's scopes to its own app: the database may still say so.
  for (const scope of ["connect.applications.read", "connect.applications.manage"]) {
    await server.services.db.scopeGrant.create({ data: { applicationId: webApp.id.replace(/^app_/, ""), scope, kind: "DELEGATED", grantedBy: null } });
  }
  const secret = await gql(admins.tenant.token, `mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { ... on AddClientSecretSuccess { plaintext } } }`, { i: { applicationId: webApp.id } });
  tenantWeb = { clientId: webApp.clientId, secret: secret.body.data!.addClientSecret.plaintext };
}, 120_000);
afterAll(async () => {
  await idp?.close();
  await server?.close();
});

describe("the access matrix", () => {
  it("covers every rule of the policy, here or in a named test", () => {
    const here = new Set(DOORS.map((d) => d.rule).concat(["registry.manage"] as RuleName[]));
    const missing = (Object.keys(RULES) as RuleName[]).filter((r) => !here.has(r) && !COVERED_ELSEWHERE[r]);
    expect(missing).toEqual([]);
  });

  for (const caller of CALLERS) {
    it(`${caller.name}: ${DOORS.length} doors x 2 organizations`, async () => {
      const token = await caller.token();
      const got: string[] = [];
      const want: string[] = [];
      for (const door of DOORS) {
        for (const org of ["operator", "tenant"] as const) {
          got.push(`${door.name} @ ${org}: ${await door.run(token, targets[org])}`);
          want.push(`${door.name} @ ${org}: ${expected(caller, door, org)}`);
        }
      }
      expect(got).toEqual(want);
    }, 120_000);
  }
});
