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

it("grants and revocations of overlapping scope sets, all at once, replay as one serial order: the audit trail, applied in order, gives the final grants", async () => {
  const id = await newApp("Overlap race");
  const pool = ["knowledge.portalmgr.read", "core.users.read", "knowledge.articles.read"];
  // Every non-empty subset, granted and revoked, interleaved.
  const subsets = [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]].map((ix) => ix.map((i) => pool[i]!));
  const ops = Array.from({ length: 28 }, (_, i) => {
    const revoke = i % 2 === 1;
    const scopes = subsets[(i * 3) % subsets.length]!;
    return gql(`mutation($i: ${revoke ? "RevokeScopesInput" : "GrantScopesInput"}!) { ${revoke ? "revokeScopes" : "grantScopes"}(input: $i) { __typename } }`, {
      i: { applicationId: id, scopes },
    });
  });
  const results = await Promise.all(ops);
  for (const r of results) {
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(Object.values(r.body.data as Record<string, { __typename: string }>)[0]!.__typename).toMatch(/Success$/);
  }
  const final = await gql(`query($id: ID!) { node(id: $id) { ... on ConnectApplication { scopeGrants { scope { name } } } } }`, { id });
  const grants = (final.body.data.node.scopeGrants as { scope: { name: string } }[]).map((g) => g.scope.name).sort();
  expect(new Set(grants).size).toBe(grants.length);

  const trail = await gql(`query($f: AuditEventFilter) { auditEvents(filter: $f, first: 200) { edges { node { action details } } } }`, { f: { applicationId: id } });
  const events = (trail.body.data.auditEvents.edges as { node: { action: string; details: unknown } }[])
    .map((e) => ({ action: e.node.action, details: (typeof e.node.details === "string" ? JSON.parse(e.node.details) : e.node.details) as { scopes: string[] } }))
    .filter((e) => e.action.startsWith("scopes."))
    .reverse();
  const state = new Set<string>();
  for (const [n, e] of events.entries()) {
    if (e.action === "scopes.granted") {
      // A grant event names only what was missing at that point of the serial order.
      for (const s of e.details.scopes) expect(state.has(s), `event ${n}: ${s} granted twice`).toBe(false);
      for (const s of e.details.scopes) state.add(s);
    } else {
      // A revocation event is written only when it removed something.
      expect(e.details.scopes.some((s) => state.has(s)), `event ${n}: a revocation that removed nothing`).toBe(true);
      for (const s of e.details.scopes) state.delete(s);
    }
  }
  expect([...state].sort()).toEqual(grants);
}, 60_000);

it("the 50-request secret race leaves exactly one audit event per secret created", async () => {
  const id = await newApp("Secret trail race");
  await Promise.all(Array.from({ length: 50 }, () => gql(`mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { __typename } }`, { i: { applicationId: id } })));
  const trail = await gql(`query($f: AuditEventFilter) { auditEvents(filter: $f, first: 200) { edges { node { action } } } }`, { f: { applicationId: id } });
  const created = trail.body.data.auditEvents.edges.filter((e: { node: { action: string } }) => e.node.action === "client_secret.created");
  expect(created).toHaveLength(5);
}, 60_000);
