// auditEvents(filter:): an organization's trail, newest first, filtered by organization,
// application, actor, action and time; never another organization's events.
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let acme: Admin;
let globex: Admin;
let appA: string;
let appB: string;

async function gql(as: Admin, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${as.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const create = async (as: Admin, name: string) =>
  (
    await gql(as, `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { ... on CreateConnectApplicationSuccess { application { id } } } }`, {
      i: { name, applicationType: "M2M", organizationId: as.organizationId },
    })
  ).createConnectApplication.application.id as string;

const events = async (as: Admin, filter: Record<string, unknown> = {}) =>
  (
    await gql(as, `query($f: AuditEventFilter) { auditEvents(filter: $f, first: 200) { edges { node { id action actorId targetId createdAt } } } }`, { f: filter })
  ).auditEvents.edges.map((e: { node: Record<string, string> }) => e.node) as Record<string, string>[];

beforeAll(async () => {
  server = await startTestServer();
  acme = await bootstrapAdmin(server, "Acme");
  globex = await bootstrapAdmin(server, "Globex");
  appA = await create(acme, "Audited A");
  appB = await create(acme, "Audited B");
  await gql(acme, `mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { __typename } }`, { i: { applicationId: appA } });
  await gql(acme, `mutation($i: GrantScopesInput!) { grantScopes(input: $i) { __typename } }`, { i: { applicationId: appA, scopes: ["knowledge.portalmgr.read"] } });
  await create(globex, "Not yours");
});
afterAll(async () => server?.close());

it("lists the organization's events newest first, and none of another organization's", async () => {
  const all = await events(acme);
  const times = all.map((e) => e.createdAt);
  expect([...times].sort().reverse()).toEqual(times);
  expect(all.some((e) => e.action === "application.created" && e.targetId === appA)).toBe(true);
  expect(all.some((e) => JSON.stringify(e).includes("Not yours"))).toBe(false);
  expect(await events(acme, { organizationId: globex.organizationId })).toEqual([]);
});

it("filters by application: the app itself, its secrets and its grants", async () => {
  const forA = await events(acme, { applicationId: appA });
  expect(forA.map((e) => e.action).sort()).toEqual(["application.created", "client_secret.created", "scopes.granted"]);
  expect((await events(acme, { applicationId: appB })).map((e) => e.action)).toEqual(["application.created"]);
  expect(await events(acme, { applicationId: "app_unknown" })).toEqual([]);
  expect(await events(acme, { applicationId: acme.organizationId })).toEqual([]);
});

it("filters by actor, action and time", async () => {
  const byAction = await events(acme, { action: "client_secret.created" });
  expect(byAction.length).toBeGreaterThanOrEqual(2); // bootstrap's secret and appA's
  expect(byAction.every((e) => e.action === "client_secret.created")).toBe(true);
  const byActor = await events(acme, { actorId: acme.clientId });
  expect(byActor.length).toBe(4);
  expect(await events(acme, { since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
  const recent = await events(acme, { since: new Date(Date.now() - 60_000).toISOString(), applicationId: appA, action: "scopes.granted" });
  expect(recent).toHaveLength(1);
});

it("scopekeeper audit export streams one organization's events as JSON lines, oldest first", async () => {
  const { spawnSync } = await import("node:child_process");
  const path = await import("node:path");
  const { TEST_ARGON2_ENV } = await import("./helpers/server.ts");
  const cli = path.resolve(import.meta.dirname, "../bin/scopekeeper.js");
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, "audit", "export", ...args], {
      env: { ...process.env, ...TEST_ARGON2_ENV, DATABASE_URL: server.database.url, LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 30_000,
    });
  const since = new Date(Date.now() - 3600_000).toISOString();
  const res = run("--since", since, "--format", "jsonl", "--org", acme.organizationId);
  expect(res.status, res.stderr).toBe(0);
  const lines = res.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
  expect(lines.length).toBe((await events(acme)).length);
  expect(lines.every((l) => l.organizationId === acme.organizationId)).toBe(true);
  expect(lines.map((l) => l.createdAt)).toEqual([...lines.map((l) => l.createdAt)].sort());
  expect(lines.find((l) => l.action === "application.created" && l.targetId === appA)).toMatchObject({ applicationId: appA, details: { name: "Audited A" } });
  expect(res.stdout).not.toContain("Not yours");
  // The mistakes in this process (the binary's own entry point, without Node's start-up).
  const { runCliInProcess } = await import("./helpers/cli.ts");
  const inProcess = (...args: string[]) => runCliInProcess(["audit", "export", ...args], { DATABASE_URL: server.database.url, LOG_LEVEL: "silent" });
  expect((await inProcess("--since", "yesterday-ish")).stderr).toMatch(/--since takes an ISO 8601 time/);
  expect((await inProcess("--since", since, "--org", "Acme")).stderr).toMatch(/--org takes the organization id/);
});

it("sweeps events older than the retention period and keeps the rest", async () => {
  const { sweepExpired } = await import("../src/db/janitor.ts");
  const { db } = server.services;
  const now = new Date();
  await db.auditEvent.create({ data: { organizationId: acme.organizationDbId, actorType: "SYSTEM", action: "test.ancient", createdAt: new Date(now.getTime() - 401 * 86_400_000) } });
  await db.auditEvent.create({ data: { organizationId: acme.organizationDbId, actorType: "SYSTEM", action: "test.recent", createdAt: new Date(now.getTime() - 399 * 86_400_000) } });
  await sweepExpired(db, now, 400);
  const left = await db.auditEvent.findMany({ where: { action: { startsWith: "test." } } });
  expect(left.map((e) => e.action)).toEqual(["test.recent"]);
});
