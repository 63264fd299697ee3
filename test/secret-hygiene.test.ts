// Secret hygiene: applications(filter: {secretExpiringWithinDays}) for admins, and
// `scopekeeper secrets expiring` for a cron job. Only active secrets count; never a plaintext.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { runCliInProcess } from "./helpers/cli.ts";
import { startTestServer, TEST_ARGON2_ENV, type TestServer } from "./helpers/server.ts";

const CLI = path.resolve(import.meta.dirname, "../bin/scopekeeper.js");
let server: TestServer;
let acme: Admin;
let globex: Admin;
const apps: Record<string, { id: string; secretId?: string; plaintext?: string }> = {};

async function gql(as: Admin, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${as.token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data: Record<string, any>; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function appWithSecret(as: Admin, name: string, expiresInDays: number | null, revoke = false) {
  const created = await gql(as, `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { ... on CreateConnectApplicationSuccess { application { id } } } }`, {
    i: { name, applicationType: "M2M", organizationId: as.organizationId },
  });
  const id = created.data.createConnectApplication.application.id as string;
  const added = await gql(as, `mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { ... on AddClientSecretSuccess { plaintext clientSecret { id } } } }`, {
    i: { applicationId: id, expiresInDays },
  });
  const secretId = added.data.addClientSecret.clientSecret.id as string;
  if (revoke) await gql(as, `mutation($i: RevokeClientSecretInput!) { revokeClientSecret(input: $i) { __typename } }`, { i: { id: secretId } });
  apps[name] = { id, secretId, plaintext: added.data.addClientSecret.plaintext };
}

beforeAll(async () => {
  server = await startTestServer();
  acme = await bootstrapAdmin(server, "Acme");
  globex = await bootstrapAdmin(server, "Globex");
  await appWithSecret(acme, "Soon", 5);
  await appWithSecret(acme, "Later", 60);
  await appWithSecret(acme, "Never", null);
  await appWithSecret(acme, "Revoked soon", 3, true);
  await appWithSecret(globex, "Their soon", 2);
});
afterAll(async () => server?.close());

const expiring = async (as: Admin, days: number) =>
  gql(as, `query($d: Int) { applications(first: 100, filter: { secretExpiringWithinDays: $d }) { edges { node { name } } } }`, { d: days });

it("lists the applications with an active secret expiring within N days, in the caller's organizations only", async () => {
  const names = (await expiring(acme, 30)).data.applications.edges.map((e: { node: { name: string } }) => e.node.name);
  expect(names).toEqual(["Soon"]);
  const wider = (await expiring(acme, 90)).data.applications.edges.map((e: { node: { name: string } }) => e.node.name).sort();
  expect(wider).toEqual(["Later", "Soon"]);
  const theirs = (await expiring(globex, 30)).data.applications.edges.map((e: { node: { name: string } }) => e.node.name);
  expect(theirs).toEqual(["Their soon"]);
});

it("refuses a negative number of days as the client's mistake", async () => {
  const res = await expiring(acme, -1);
  expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
});

it("scopekeeper secrets expiring --json lists every organization's soon-expiring active secrets, and no plaintext", async () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, "secrets", "expiring", ...args], {
      env: { ...process.env, ...TEST_ARGON2_ENV, DATABASE_URL: server.database.url, LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 30_000,
    });
  const json = run("--days", "30", "--json");
  expect(json.status, json.stderr).toBe(0);
  const rows = JSON.parse(json.stdout) as { secretId: string; applicationName: string; expiresAt: string }[];
  expect(rows.map((r) => r.applicationName)).toEqual(["Their soon", "Soon"]);
  expect(rows.map((r) => r.secretId)).toEqual([apps["Their soon"]!.secretId, apps.Soon!.secretId]);
  for (const app of Object.values(apps)) expect(json.stdout).not.toContain(app.plaintext!);
  // The other cases in this process (the binary's own entry point, without Node's start-up).
  const inProcess = (...args: string[]) => runCliInProcess(["secrets", "expiring", ...args], { DATABASE_URL: server.database.url, LOG_LEVEL: "silent" });
  const text = await inProcess("--days", "1");
  expect(text.status).toBe(0);
  expect(text.stdout).toMatch(/no active client secret expires within 1 days/);
  const bad = await inProcess("--days", "soon");
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/--days takes a whole number/);
});
