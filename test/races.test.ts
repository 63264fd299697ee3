// Concurrent admin requests end in a consistent state, on SQLite and PostgreSQL alike.
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let acme: Admin;

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${acme.token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data: any; errors?: unknown[] } };
}

async function newApp(name: string) {
  const res = await gql(`mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { ... on CreateConnectApplicationSuccess { application { id } } } }`, {
    i: { name, applicationType: "M2M", organizationId: acme.organizationId },
  });
  return res.body.data.createConnectApplication.application.id as string;
}

beforeAll(async () => {
  server = await startTestServer();
  acme = await bootstrapAdmin(server, "Racers");
});
afterAll(async () => server?.close());

it("50 concurrent addClientSecret on one app end with at most 5 active secrets, and every refusal is a ValidationError", async () => {
  const id = await newApp("Secret race");
  const results = await Promise.all(
    Array.from({ length: 50 }, () =>
      gql(`mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { __typename } }`, { i: { applicationId: id } }),
    ),
  );
  for (const r of results) {
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
  }
  const kinds = results.map((r) => r.body.data.addClientSecret.__typename as string);
  expect(kinds.filter((k) => k === "AddClientSecretSuccess")).toHaveLength(5);
  expect(kinds.filter((k) => k === "ValidationError")).toHaveLength(45);
  const app = await gql(`query($id: ID!) { node(id: $id) { ... on ConnectApplication { clientSecrets { active } } } }`, { id });
  expect(app.body.data.node.clientSecrets.filter((s: { active: boolean }) => s.active)).toHaveLength(5);
}, 60_000);

it("concurrent grantScopes and revokeScopes end consistent: each grant once, audit events matching the changes", async () => {
  const id = await newApp("Grant race");
  const scopes = ["knowledge.portalmgr.read", "core.users.read"];
  const ops = Array.from({ length: 20 }, (_, i) =>
    gql(`mutation($i: ${i % 2 ? "RevokeScopesInput" : "GrantScopesInput"}!) { ${i % 2 ? "revokeScopes" : "grantScopes"}(input: $i) { __typename } }`, {
      i: { applicationId: id, scopes },
    }),
  );
  const results = await Promise.all(ops);
  for (const r of results) {
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
  }
  const final = await gql(`query($id: ID!) { node(id: $id) { ... on ConnectApplication { scopeGrants { scope { name } kind } } } }`, { id });
  const grants = final.body.data.node.scopeGrants.map((g: { scope: { name: string } }) => g.scope.name);
  expect(new Set(grants).size).toBe(grants.length);
  expect([0, 2]).toContain(grants.length);
  // Each granted event added what was missing and each revoked event removed what was there,
  // so replaying the trail in order gives the final state.
  const trail = await gql(`query($f: AuditEventFilter) { auditEvents(filter: $f, first: 200) { edges { node { action } } } }`, {
    f: { applicationId: id },
  });
  const actions = trail.body.data.auditEvents.edges.map((e: { node: { action: string } }) => e.node.action).reverse();
  const last = actions.filter((a: string) => a.startsWith("scopes.")).pop();
  expect(last === "scopes.granted" ? 2 : 0).toBe(grants.length);
}, 60_000);
