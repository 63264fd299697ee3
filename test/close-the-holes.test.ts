// Regression tests for the holes found by trying the server as an attacker would: a person's
// token crossing organizations, one document taking the admin API down, revoked tokens that
// still worked, first-party apps claimed by any organization, client mistakes answered as
// server errors, and ids that differed between tokens and the API.
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { basic, postForm } from "./helpers/http.ts";
import { consoleToken, PERSON_CALLBACK, personToken } from "./helpers/people.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let operator: Admin;
let acme: Admin;
let globex: Admin;
let acmeApp: { id: string; clientId: string; secret: string };
let globexApp: { id: string; clientId: string };
const member = { email: "member@acme.test", password: "member password 1" };
const admin = { email: "admin@acme.test", password: "admin password 1" };

interface GqlResponse {
  status: number;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function gql(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GqlResponse> {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as GqlResponse["body"] };
}

async function createApp(as: Admin, input: Record<string, unknown>) {
  const res = await gql(
    as.token,
    `mutation($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) {
      __typename ... on CreateConnectApplicationSuccess { application { id clientId } }
      ... on ValidationError { fieldErrors { path message } } } }`,
    { input },
  );
  return res.body.data!.createConnectApplication;
}

beforeAll(async () => {
  server = await startTestServer();
  operator = await bootstrapAdmin(server, "Operator");
  acme = await bootstrapAdmin(server, "Acme");
  globex = await bootstrapAdmin(server, "Globex");
  const web = await createApp(acme, {
    name: "Acme portal",
    applicationType: "OAUTH",
    platform: "WEB",
    isFirstParty: false,
    organizationId: acme.organizationId,
    redirectUris: [{ uri: PERSON_CALLBACK }],
  });
  const scopes = ["openid", "email"];
  await gql(acme.token, `mutation($i: GrantScopesInput!) { grantScopes(input: $i) { __typename } }`, {
    i: { applicationId: web.application.id, scopes, kind: "DELEGATED" },
  });
  const secret = await gql(acme.token, `mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { ... on AddClientSecretSuccess { plaintext } } }`, {
    i: { applicationId: web.application.id },
  });
  acmeApp = { ...web.application, secret: secret.body.data!.addClientSecret.plaintext };
  const other = await createApp(globex, { name: "Globex secret project", applicationType: "M2M", organizationId: globex.organizationId });
  globexApp = other.application;
  await createUser(server, acme.organizationDbId, member.email, member.password, "MEMBER");
  await createUser(server, acme.organizationDbId, admin.email, admin.password, "ADMIN");
});
afterAll(async () => server?.close());

describe("a person's token never crosses organizations", () => {
  let memberToken: string;
  let memberScope: string;
  let adminToken: string;
  let memberAppToken: string;

  beforeAll(async () => {
    const all = "openid connect.applications.read connect.applications.manage";
    ({ accessToken: memberToken, scope: memberScope } = await consoleToken(server, member, all));
    ({ accessToken: adminToken } = await consoleToken(server, admin, all));
    ({ accessToken: memberAppToken } = await personToken(server, acmeApp, member, "openid email"));
  });

  it("carries the person's usr_ id as sub, and the org_id of the app's organization (none for the console)", () => {
    const claims = decodeJwt(memberToken);
    expect(claims.sub).toMatch(/^usr_/);
    expect(claims.org_id).toBeUndefined();
    expect(decodeJwt(memberAppToken)).toMatchObject({ sub: claims.sub, org_id: acme.organizationId });
  });

  it("never gives a MEMBER an adminConsentRequired scope through their own consent", () => {
    expect(memberScope.split(" ")).not.toContain("connect.applications.manage");
    expect(memberScope.split(" ")).toContain("connect.applications.read");
    expect(String(decodeJwt(adminToken).scope).split(" ")).toContain("connect.applications.manage");
  });

  it("shows a MEMBER no application, no organization and no node, in any organization", async () => {
    const list = await gql(memberToken, `{ applications(first: 100) { edges { node { id name } } } }`);
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data!.applications.edges).toEqual([]);
    for (const clientId of [globexApp.clientId, acmeApp.clientId]) {
      const one = await gql(memberToken, `query($c: String) { application(clientId: $c) { id redirectUris { uri } } }`, { c: clientId });
      expect(one.body.data!.application).toBeNull();
    }
    for (const id of [globexApp.id, acmeApp.id, globex.organizationId, acme.organizationId]) {
      const node = await gql(memberToken, `query($id: ID!) { node(id: $id) { id } }`, { id });
      expect(node.body.errors).toBeUndefined();
      expect(node.body.data!.node).toBeNull();
    }
    for (const id of [globex.organizationId, acme.organizationId]) {
      const org = await gql(memberToken, `query($id: ID!) { organization(id: $id) { id name members { email } } }`, { id });
      expect(org.body.data!.organization).toBeNull();
    }
  });

  it("lets an ADMIN person read their own organization's registry and nothing of another's", async () => {
    const list = await gql(adminToken, `{ applications(first: 100) { edges { node { clientId } } } }`);
    const clientIds = list.body.data!.applications.edges.map((e: { node: { clientId: string } }) => e.node.clientId);
    expect(clientIds).toContain(acmeApp.clientId);
    expect(clientIds).not.toContain(globexApp.clientId);
    const other = await gql(adminToken, `query($c: String) { application(clientId: $c) { id } }`, { c: globexApp.clientId });
    expect(other.body.data!.application).toBeNull();
    const foreignOrg = await gql(adminToken, `query($id: ID!) { organization(id: $id) { name } }`, { id: globex.organizationId });
    expect(foreignOrg.body.data!.organization).toBeNull();
  });

  it("loses a demoted ADMIN's access on the very next request, though roles are cached", async () => {
    const demoted = { email: "demoted@acme.test", password: "demoted password 1" };
    const user = await createUser(server, acme.organizationDbId, demoted.email, demoted.password, "ADMIN");
    const { accessToken } = await consoleToken(server, demoted, "openid connect.applications.read connect.applications.manage");
    const list = `{ applications(first: 100) { edges { node { clientId } } } }`;
    expect((await gql(accessToken, list)).body.data!.applications.edges.length).toBeGreaterThan(0);
    expect((await gql(accessToken, list)).body.data!.applications.edges.length).toBeGreaterThan(0);
    const changed = await gql(
      acme.token,
      `mutation($i: UpdateMemberRoleInput!) { updateMemberRole(input: $i) { __typename } }`,
      { i: { organizationId: acme.organizationId, userId: `usr_${user.id}`, role: "MEMBER" } },
    );
    expect(changed.body.data!.updateMemberRole.__typename).toBe("UpdateMemberRoleSuccess");
    expect((await gql(accessToken, list)).body.data!.applications.edges).toEqual([]);
  });

  it("records a person's consent as an audit event of the app's organization", async () => {
    const res = await gql(acme.token, `{ auditEvents(first: 200, filter: { action: "consent.granted" }) { edges { node { actorId targetId details } } } }`);
    const grants = res.body.data!.auditEvents.edges.map((e: { node: Record<string, string> }) => e.node);
    const mine = grants.find((g: Record<string, string>) => g.actorId === decodeJwt(memberToken).sub);
    expect(mine).toMatchObject({ targetId: acmeApp.id });
    expect(JSON.parse(mine.details).scopes).toContain("openid");
  });

  it("answers viewer for any valid token", async () => {
    const q = `{ viewer { id kind email memberships { role organization { id name isOperator } } } }`;
    const person = await gql(memberToken, q);
    expect(person.body.data!.viewer).toMatchObject({
      id: decodeJwt(memberToken).sub,
      kind: "USER",
      email: member.email,
      memberships: [{ role: "MEMBER", organization: { id: acme.organizationId, name: "Acme", isOperator: false } }],
    });
    const app = await gql(acme.token, q);
    expect(app.body.data!.viewer).toMatchObject({
      kind: "APPLICATION",
      email: null,
      memberships: [{ role: "ADMIN", organization: { id: acme.organizationId } }],
    });
  });
});

describe("GraphQL document limits", () => {
  const nested = (depth: number) => {
    // scope { hub { scopes { hub { ... { name } } } } }: depth + 2 fields deep.
    const fields = Array.from({ length: depth }, (_, i) => (i % 2 === 0 ? "hub" : "scopes"));
    const inner = fields.reduceRight((acc, field) => `${field} { ${acc} }`, "name");
    return `{ scope(name: "openid") { ${inner} } }`;
  };
  const limits = () => server.config.graphqlLimits;

  async function expectRefusedThenFine(query: string, pattern: RegExp) {
    const refused = await gql(acme.token, query);
    expect(refused.status).toBeLessThan(500);
    expect(refused.body.errors?.[0]?.message).toMatch(pattern);
    expect(refused.body.data ?? null).toBeNull();
    const next = await gql(acme.token, `{ viewer { kind } }`);
    expect(next.status).toBe(200);
    expect(next.body.data!.viewer.kind).toBe("APPLICATION");
  }

  it("refuses a document one past the depth limit, and the next request works", async () => {
    const ok = await gql(acme.token, nested(limits().maxDepth - 2));
    expect(ok.body.errors).toBeUndefined();
    await expectRefusedThenFine(nested(25), /depth/i);
    await expectRefusedThenFine(nested(limits().maxDepth - 1), /depth/i);
  });

  it("refuses one alias past the limit", async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: scope(name: "openid") { name }`).join(" ")} }`;
    expect((await gql(acme.token, aliases(limits().maxAliases))).body.errors).toBeUndefined();
    await expectRefusedThenFine(aliases(limits().maxAliases + 1), /alias/i);
  });

  it("refuses one directive past the limit", async () => {
    const directives = (n: number) => `{ viewer { kind ${"@include(if: true) ".repeat(n)} } }`;
    await expectRefusedThenFine(directives(limits().maxDirectives + 1), /directive/i);
  });

  it("refuses a document past the token limit", async () => {
    const fields = Array.from({ length: limits().maxTokens }, () => "kind").join(" ");
    await expectRefusedThenFine(`{ viewer { ${fields} } }`, /token/i);
  });

  it("refuses a document past the cost limit", async () => {
    const heavy = `{ scopeCatalog { scopes { hub { scopes { hub { scopes { name hub { id } } } } } } } }`;
    const restricted = await startTestServer({ env: { GRAPHQL_MAX_COST: "50" } });
    try {
      const admin2 = await bootstrapAdmin(restricted, "Costly");
      const res = await fetch(`${restricted.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin2.token}` },
        body: JSON.stringify({ query: heavy }),
      });
      const body = (await res.json()) as GqlResponse["body"];
      expect(res.status).toBeLessThan(500);
      expect(body.errors?.[0]?.message).toMatch(/cost/i);
    } finally {
      await restricted.close();
    }
  });
});

describe("a revoked access token is refused at every door", () => {
  it("at /graphql, /oauth/userinfo and /oauth/introspect", async () => {
    const { accessToken } = await personToken(server, acmeApp, admin, "openid email");
    const before = await gql(accessToken, `{ viewer { kind } }`);
    expect(before.status).toBe(200);
    const revoked = await postForm(`${server.url}/oauth/revoke`, { token: accessToken, token_type_hint: "access_token" }, basic(acmeApp.clientId, acmeApp.secret));
    expect(revoked.status).toBe(200);

    const graph = await gql(accessToken, `{ viewer { kind } }`);
    expect(graph.status).toBe(401);
    const mutation = await gql(accessToken, `mutation { createConnectApplication(input: {name: "x", applicationType: M2M, organizationId: "${acme.organizationId}"}) { __typename } }`);
    expect(mutation.status).toBe(401);
    const info = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(info.status).toBe(401);
    expect(info.headers.get("www-authenticate")).toMatch(/invalid_token/);
    const intro = await postForm(`${server.url}/oauth/introspect`, { token: accessToken }, basic(acmeApp.clientId, acmeApp.secret));
    expect(intro.body).toEqual({ active: false });
  });

  it("an application's own token too", async () => {
    const token = (await bootstrapAdmin(server, "Revokers")) as Admin;
    const res = await postForm(`${server.url}/oauth/revoke`, { token: token.token }, basic(token.clientId, token.clientSecret));
    expect(res.status).toBe(200);
    expect((await gql(token.token, `{ viewer { kind } }`)).status).toBe(401);
  });
});

describe("first-party applications belong to the operator", () => {
  const firstParty = (organizationId: string | null) => ({
    name: `Claimed ${Math.random()}`,
    applicationType: "OAUTH",
    platform: "WEB",
    isFirstParty: true,
    organizationId,
    redirectUris: [{ uri: "https://claim.example.test/cb" }],
  });

  it("refuses isFirstParty from any other organization, with or without its own organization", async () => {
    for (const org of [acme.organizationId, null]) {
      const res = await createApp(acme, firstParty(org));
      expect(res.__typename).toBe("ValidationError");
      expect(res.fieldErrors.map((e: { path: string[] }) => e.path.join("."))).toContain("isFirstParty");
    }
    expect((await createApp(operator, firstParty(null))).__typename).toBe("CreateConnectApplicationSuccess");
  });

  it("refuses marking an existing app first-party by another organization", async () => {
    const res = await gql(
      acme.token,
      `mutation($i: UpdateConnectApplicationInput!) { updateConnectApplication(input: $i) { __typename ... on ValidationError { fieldErrors { path } } } }`,
      { i: { id: acmeApp.id, isFirstParty: true } },
    );
    expect(res.body.data!.updateConnectApplication).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["isFirstParty"] }] });
  });
});

describe("client mistakes are clean GraphQL errors", () => {
  it("node(id:) with a garbage, absent or foreign id is null", async () => {
    for (const id of ["garbage", "", "app_", "app_doesnotexist", "usr_x", "Q29ubmVjdEFwcGxpY2F0aW9uOjE=", globexApp.id, "x".repeat(5000)]) {
      const res = await gql(acme.token, `query($id: ID!) { node(id: $id) { id } }`, { id });
      expect(res.status, id).toBe(200);
      expect(res.body.errors, id).toBeUndefined();
      expect(res.body.data!.node, id).toBeNull();
    }
  });

  it("answers bad paging and search arguments with BAD_USER_INPUT, never INTERNAL_SERVER_ERROR", async () => {
    const cases: [string, Record<string, unknown>][] = [
      [`query($n: Int) { applications(first: $n) { edges { node { id } } } }`, { n: -1 }],
      [`query($c: String) { applications(first: 2, after: $c) { edges { node { id } } } }`, { c: "not-a-cursor" }],
      [`query($s: String) { applications(search: $s) { edges { node { id } } } }`, { s: "x".repeat(50_000) }],
    ];
    for (const [query, variables] of cases) {
      const res = await gql(acme.token, query, variables);
      expect(res.status).toBeLessThan(500);
      expect(res.body.errors?.length).toBeGreaterThan(0);
      for (const e of res.body.errors!) expect(e.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
    }
  });

  it("refuses an unknown field in an input passed as a variable, naming it", async () => {
    const res = await gql(acme.token, `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { __typename } }`, {
      i: { name: "Typo", applicationType: "M2M", organizationId: acme.organizationId, organisationId: "x" },
    });
    expect(res.status).toBeLessThan(500);
    expect(res.body.errors?.[0]?.message).toMatch(/organisationId/);
    expect(res.body.errors?.[0]?.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
  });

  it("matches % and _ in search literally", async () => {
    await createApp(acme, { name: "Literal 100% done", applicationType: "M2M", organizationId: acme.organizationId });
    await createApp(acme, { name: "Literal 1000 done", applicationType: "M2M", organizationId: acme.organizationId });
    await createApp(acme, { name: "Literal a_b", applicationType: "M2M", organizationId: acme.organizationId });
    await createApp(acme, { name: "Literal axb", applicationType: "M2M", organizationId: acme.organizationId });
    const names = async (s: string) =>
      (await gql(acme.token, `query($s: String) { applications(search: $s, first: 100) { edges { node { name } } } }`, { s })).body.data!.applications.edges.map(
        (e: { node: { name: string } }) => e.node.name,
      );
    expect(await names("100%")).toEqual(["Literal 100% done"]);
    expect(await names("a_b")).toEqual(["Literal a_b"]);
  });
});

describe("one id per object everywhere", () => {
  it("uses the organization's public id in bootstrap output, GraphQL and the org_id claim", async () => {
    expect(acme.organizationId).toMatch(/^org_/);
    const claims = decodeJwt(acme.token);
    expect(claims.org_id).toBe(acme.organizationId);
    const res = await gql(acme.token, `{ viewer { memberships { organization { id } } } }`);
    expect(res.body.data!.viewer.memberships[0].organization.id).toBe(claims.org_id);
    const node = await gql(acme.token, `query($id: ID!) { node(id: $id) { id ... on Organization { name } } }`, { id: claims.org_id });
    expect(node.body.data!.node).toEqual({ id: acme.organizationId, name: "Acme" });
  });

  it("prefixes every object's id by its type, and audit events carry the same ids", async () => {
    const res = await gql(
      acme.token,
      `query($c: String) { application(clientId: $c) { id clientSecrets { id } organization { id } } auditEvents(first: 50) { edges { node { id actorId targetId action } } } }`,
      { c: acmeApp.clientId },
    );
    const app = res.body.data!.application;
    expect(app.id).toMatch(/^app_/);
    expect(app.clientSecrets[0].id).toMatch(/^sec_/);
    const events = res.body.data!.auditEvents.edges.map((e: { node: Record<string, string> }) => e.node);
    expect(events.every((e: { id: string }) => e.id.startsWith("evt_"))).toBe(true);
    expect(events.find((e: { action: string; targetId: string }) => e.action === "application.created" && e.targetId === app.id)).toBeTruthy();
    expect(events.find((e: { action: string; targetId: string }) => e.action === "client_secret.created" && e.targetId === app.clientSecrets[0].id)).toBeTruthy();
  });
});

describe("logs", () => {
  it("at debug level, logs no query-string value that could carry a token", async () => {
    const { PassThrough } = await import("node:stream");
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n").filter(Boolean)));
    const debug = await startTestServer({ env: { LOG_LEVEL: "debug" }, logStream: stream });
    try {
      const hint = "eyJhbGciOiJFUzI1NiJ9.secret-id-token-hint.signature";
      await fetch(`${debug.url}/oauth/logout?id_token_hint=${hint}&state=s3cr3t-state`);
      await fetch(`${debug.url}/oauth/authorize?client_id=abc&code_challenge=chal-1234567890&state=another-secret`);
      await new Promise((r) => setTimeout(r, 100));
      const all = lines.join("\n");
      expect(all).toContain("/oauth/logout");
      expect(all).toContain("client_id=abc");
      for (const secret of [hint, "s3cr3t-state", "another-secret", "chal-1234567890"]) expect(all).not.toContain(secret);
    } finally {
      await debug.close();
    }
  });
});
