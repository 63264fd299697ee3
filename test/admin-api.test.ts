// Who may use the admin API and what each principal sees: bearer tokens, scopes,
// organizations, the operator's first-party apps, the catalog queries, and no N+1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AddSecretDocument,
  ApplicationDocument,
  ApplicationsDocument,
  CreateApplicationDocument,
  NodeDocument,
  OrganizationDocument,
  ScopeCatalogDocument,
  ScopeDocument,
  type CreateConnectApplicationInput,
} from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { graphql } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let operator: Admin;
let tenant: Admin;
let queries: string[] = [];

beforeAll(async () => {
  // On the server's own event loop, so its SQL can be counted here.
  // Every answer computed (no response cache), so the statements of each request can be counted.
  server = await startTestServer({ onQuery: (sql) => queries.push(sql), env: { GRAPHQL_RESPONSE_CACHE_TTL_MS: "0" } });
  operator = await bootstrapAdmin(server, "Operator");
  tenant = await bootstrapAdmin(server, "Tenant");
});
afterAll(async () => server?.close());

async function create(as: Admin, input: Partial<CreateConnectApplicationInput> & { name: string }) {
  const res = await graphql(server.url, as.token, CreateApplicationDocument, {
    input: { applicationType: "M2M", organizationId: as.organizationId, ...input } as CreateConnectApplicationInput,
  });
  return res.data.createConnectApplication;
}

describe("authentication", () => {
  it("answers 401 with a Bearer invalid_token challenge without a token, with a bad one, or with one for another audience", async () => {
    const knowledgeOnly = await create(tenant, { name: "Knowledge reader", scopes: ["knowledge.portalmgr.read"] });
    expect(knowledgeOnly.__typename).toBe("CreateConnectApplicationSuccess");
    const forged = tenant.token.slice(0, -4) + (tenant.token.endsWith("AAAA") ? "BBBB" : "AAAA");
    for (const token of [null, "garbage", forged]) {
      const res = await graphql(server.url, token, ScopeCatalogDocument, {});
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    }
    const basicAuth = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Basic Zm9vOmJhcg==" },
      body: JSON.stringify({ query: "{ scopeCatalog { id } }" }),
    });
    expect(basicAuth.status).toBe(401);
  });

  it("allows queries with connect.applications.read and refuses mutations without manage", async () => {
    const { clientCredentialsToken } = await import("./helpers/http.ts");
    const readOnly = await clientCredentialsToken(server.url, tenant.clientId, tenant.clientSecret, "connect.applications.read");
    const list = await graphql(server.url, readOnly, ApplicationsDocument, {});
    expect(list.errors).toBeUndefined();
    const res = await graphql(server.url, readOnly, CreateApplicationDocument, {
      input: { name: "Nope", applicationType: "M2M", organizationId: tenant.organizationId },
    });
    expect(res.data.createConnectApplication).toEqual({
      __typename: "ForbiddenError",
      code: "forbidden",
      message: "this token lacks the scope connect.applications.manage",
    });
  });
});

describe("organizations", () => {
  it("shows each principal only its own organization's applications, as if others did not exist", async () => {
    const mine = await create(tenant, { name: "Tenant app", clientCode: "tenant-app" });
    if (mine.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(mine));
    const { id, clientId } = mine.application;
    for (const vars of [{ id }, { clientId }, { clientCode: "tenant-app" }] as { id?: string; clientId?: string; clientCode?: string }[]) {
      expect((await graphql(server.url, tenant.token, ApplicationDocument, vars)).data.application?.id).toBe(id);
      expect((await graphql(server.url, operator.token, ApplicationDocument, vars)).data.application).toBeNull();
    }
    expect((await graphql(server.url, operator.token, NodeDocument, { id })).data.node).toBeNull();
    expect((await graphql(server.url, tenant.token, NodeDocument, { id })).data.node).toMatchObject({ __typename: "ConnectApplication", id });
    const operatorList = await graphql(server.url, operator.token, ApplicationsDocument, { first: 100 });
    expect(operatorList.data.applications.edges.map((e) => e.node.id)).not.toContain(id);
    expect((await graphql(server.url, tenant.token, OrganizationDocument, { id: tenant.organizationId })).data.organization).toMatchObject({
      name: "Tenant",
      isOperator: false,
    });
    expect((await graphql(server.url, tenant.token, OrganizationDocument, { id: operator.organizationId })).data.organization).toBeNull();
  });

  it("lets the operator organization register and manage first-party apps, and nobody else", async () => {
    const firstParty = {
      name: "Admin console",
      applicationType: "OAUTH" as const,
      isFirstParty: true,
      organizationId: null,
      redirectUris: [{ uri: "https://console.example.com/cb" }],
    };
    const byOperator = await create(operator, firstParty);
    if (byOperator.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(byOperator));
    expect(byOperator.application).toMatchObject({ isFirstParty: true, organization: null });
    const byTenant = await create(tenant, firstParty);
    expect(byTenant).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["isFirstParty"], code: "first_party_operator_only" }] });
    expect((await graphql(server.url, tenant.token, ApplicationDocument, { id: byOperator.application.id })).data.application).toBeNull();
  });

  it("pages and filters the applications connection", async () => {
    for (let i = 0; i < 5; i++) await create(tenant, { name: `Paged ${i}` });
    const first = await graphql(server.url, tenant.token, ApplicationsDocument, { first: 2, search: "Paged" });
    expect(first.data.applications.edges).toHaveLength(2);
    expect(first.data.applications.pageInfo.hasNextPage).toBe(true);
    const rest = await graphql(server.url, tenant.token, ApplicationsDocument, { first: 10, after: first.data.applications.pageInfo.endCursor, search: "Paged" });
    expect(rest.data.applications.edges).toHaveLength(3);
    const oauthOnly = await graphql(server.url, tenant.token, ApplicationsDocument, { first: 100, applicationType: "OAUTH" });
    expect(oauthOnly.data.applications.edges.every((e) => e.node.applicationType === "OAUTH")).toBe(true);
  });
});

describe("scope catalog", () => {
  it("serves every hub, the built-in connect hub first with the issuer as audience", async () => {
    const res = await graphql(server.url, tenant.token, ScopeCatalogDocument, {});
    const hubs = res.data.scopeCatalog;
    expect(hubs[0]).toMatchObject({ id: "connect", audience: server.url, builtIn: true });
    expect(hubs[0]!.scopes.map((s) => s.name)).toEqual(
      expect.arrayContaining(["openid", "profile", "email", "offline_access", "connect.applications.read", "connect.applications.manage"]),
    );
    expect(hubs.map((h) => h.id)).toEqual(expect.arrayContaining(["core", "conversation", "knowledge"]));
    const delegatedOnly = await graphql(server.url, tenant.token, ScopeCatalogDocument, { kind: "APPLICATION" });
    expect(delegatedOnly.data.scopeCatalog.flatMap((h) => h.scopes).every((s) => s.kinds.includes("APPLICATION"))).toBe(true);
  });

  it("answers scope(name:) from the catalog, null when unknown", async () => {
    const res = await graphql(server.url, tenant.token, ScopeDocument, { name: "knowledge.portalmgr.onbehalfof.read" });
    expect(res.data.scope).toMatchObject({ kinds: ["DELEGATED"], onBehalfOf: true, hub: { id: "knowledge", audience: `${server.url}/hubs/knowledge` } });
    expect((await graphql(server.url, tenant.token, ScopeDocument, { name: "openid" })).data.scope?.hub.id).toBe("connect");
    expect((await graphql(server.url, tenant.token, ScopeDocument, { name: "nope.read" })).data.scope).toBeNull();
  });

  it("serves GraphQL introspection to admin tokens", async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.token}` },
      body: JSON.stringify({ query: "{ __schema { mutationType { fields { name } } } }" }),
    });
    const json = (await res.json()) as { data: { __schema: { mutationType: { fields: { name: string }[] } } } };
    expect(json.data.__schema.mutationType.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(["createConnectApplication", "addClientSecret", "grantScopes", "revokeScopes", "revokeClientSecret", "updateConnectApplication", "deleteConnectApplication"]),
    );
  });
});

describe("no N+1", () => {
  const MAX_LIST_STATEMENTS = 8;
  it("lists 10 and 100 applications with URIs, secrets and grants in a few SQL queries, whatever their number", async () => {
    const org = await bootstrapAdmin(server, "Bulk");
    const seed = async (count: number) => {
      const existing = await server.services.db.connectApplication.count({ where: { organizationId: org.organizationDbId, applicationType: "OAUTH" } });
      for (let i = existing; i < count; i++) {
        const r = await create(org, {
          name: `Bulk ${i}`,
          applicationType: "OAUTH",
          isFirstParty: false,
          redirectUris: [{ uri: `https://b${i}.example.com/cb` }, { uri: `https://b${i}.example.com/cb2` }],
          postLogoutRedirectUris: [`https://b${i}.example.com/bye`],
          scopes: ["knowledge.portalmgr.read", "core.users.read"],
        });
        if (r.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(r));
        const secret = await graphql(server.url, org.token, AddSecretDocument, { input: { applicationId: r.application.id } });
        expect(secret.data.addClientSecret.__typename).toBe("AddClientSecretSuccess");
      }
    };
    // The fewest statements over three requests: a timer elsewhere in the server (a cache's
    // refresh, the batched lastUsedAt) may read the database during one of them.
    const count = async (n: number) => Math.min(await countOnce(n), await countOnce(n), await countOnce(n));
    const countOnce = async (n: number) => {
      queries = [];
      const res = await graphql(server.url, org.token, ApplicationsDocument, { first: 100 });
      expect(res.errors).toBeUndefined();
      expect(res.data.applications.edges.length).toBe(Math.min(n + 1, 100));
      for (const e of res.data.applications.edges.filter((e) => e.node.applicationType === "OAUTH")) {
        expect(e.node.redirectUris).toHaveLength(2);
        expect(e.node.clientSecrets).toHaveLength(1);
        expect(e.node.scopeGrants).toHaveLength(2);
      }
      return queries.length;
    };
    await seed(10);
    const ten = await count(10);
    await seed(100);
    const hundred = await count(100);
    // A bound that does not grow with the list: the applications, one query each for URIs,
    // secrets and grants, the access token's revocation check, and room for a harmless change.
    // One query per application (N+1) would be over a hundred. The exact count is watched by
    // bench/statement-counts.ts.
    expect(ten).toBeLessThanOrEqual(MAX_LIST_STATEMENTS);
    expect(hundred).toBeLessThanOrEqual(MAX_LIST_STATEMENTS);
  }, 120_000);

  it("creates an application and adds a secret in a few statements each", async () => {
    const org = await bootstrapAdmin(server, "Writes");
    const post = async (query: string, variables: object) => {
      const res = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { authorization: `Bearer ${org.token}`, "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await res.json()) as { data: Record<string, Record<string, unknown>> };
      expect(res.status).toBe(200);
      return json.data;
    };
    let n = 0;
    // The fewest over three pairs, as above: a timer elsewhere may read during one of them.
    const counts = { create: Infinity, secret: Infinity };
    for (let i = 0; i < 3; i++) {
      queries = [];
      const created = await post(
        `mutation ($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) { __typename ... on CreateConnectApplicationSuccess { application { id clientId name } } } }`,
        { input: { name: `Written ${n++}`, applicationType: "M2M", organizationId: org.organizationId } },
      );
      counts.create = Math.min(counts.create, queries.length);
      const app = (created.createConnectApplication as { application: { id: string; name: string } }).application;
      expect(app.name).toBe(`Written ${n - 1}`);
      queries = [];
      const secret = await post(
        `mutation ($input: AddClientSecretInput!) { addClientSecret(input: $input) { __typename ... on AddClientSecretSuccess { plaintext clientSecret { id hint active } } } }`,
        { input: { applicationId: app.id } },
      );
      counts.secret = Math.min(counts.secret, queries.length);
      const added = secret.addClientSecret as { plaintext: string; clientSecret: { hint: string; active: boolean } };
      expect(added.clientSecret).toMatchObject({ hint: added.plaintext.slice(-4), active: true });
    }
    // Five or six statements each today (bench/statement-counts.ts holds the exact counts and
    // why); the bound leaves room for a harmless change and still catches a write that reads
    // its rows back one by one.
    expect(counts.create).toBeLessThanOrEqual(8);
    expect(counts.secret).toBeLessThanOrEqual(8);
  });
});
