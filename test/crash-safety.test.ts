// Issue 16 item 5 (first half): the compiled server is killed with SIGKILL while admins create
// applications, secrets and grants at full speed; after a restart on the same database every
// secret the server acknowledged still authenticates, and nothing half-written is visible: no
// web app without its redirect URIs, no secret or grant without its application or its audit
// event. Several cycles on one database file (or PostgreSQL database, when DATABASE_URL is set).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { basic, postForm } from "./helpers/http.ts";
import { freePort, TEST_ARGON2_ENV } from "./helpers/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "bin/scopekeeper.js");
const CYCLES = Number(process.env.CRASH_CYCLES ?? 3);
const WORKERS = 6;
const CALLBACKS = ["https://crash.example.test/one", "https://crash.example.test/two"];
const SCOPE = "knowledge.portalmgr.read";

let database: TestDatabase;
let env: Record<string, string>;
let admin: { organizationId: string; clientId: string; clientSecret: string };

beforeAll(async () => {
  database = await createTestDatabase();
  const port = await freePort();
  env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: database.url,
    ...TEST_ARGON2_ENV,
  };
  const boot = spawnSync(process.execPath, [CLI, "bootstrap", "--org", "Crashers", "--json"], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
  expect(boot.status, boot.stderr).toBe(0);
  admin = JSON.parse(boot.stdout) as typeof admin;
});
afterAll(async () => database?.drop());

const base = () => `http://127.0.0.1:${env.PORT}`;

async function startChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, "serve"], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${stderr}`);
    try {
      if ((await fetch(`${base()}/readyz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`the server did not become ready: ${stderr}`);
}

async function adminToken(): Promise<string> {
  const res = await postForm(`${base()}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read connect.applications.manage" }, basic(admin.clientId, admin.clientSecret));
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.access_token as string;
}

async function gql(token: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(`${base()}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data: Record<string, { __typename: string } & Record<string, any>> };
}

const CREATE = `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { __typename ... on CreateConnectApplicationSuccess { application { id clientId } } } }`;
const ADD_SECRET = `mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { __typename ... on AddClientSecretSuccess { plaintext } } }`;
const GRANT = `mutation($i: GrantScopesInput!) { grantScopes(input: $i) { __typename } }`;

interface Acknowledged {
  secrets: { clientId: string; secret: string }[];
  webApps: string[];
  grants: number;
  /** Failures before the kill: the workload itself is wrong. */
  errors: string[];
}

/** One admin's loop: an M2M app with a scope and two secrets, a web app with two redirect URIs and a grant, again and again. */
async function worker(token: string, n: number, ack: Acknowledged, stop: { now: boolean }) {
  for (let i = 0; !stop.now; i++) {
    try {
      const web = await gql(token, CREATE, {
        i: { name: `web ${n}-${i}-${Date.now()}`, applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: admin.organizationId, redirectUris: CALLBACKS.map((uri) => ({ uri })) },
      });
      if (web.data?.createConnectApplication?.__typename !== "CreateConnectApplicationSuccess" && !stop.now) ack.errors.push(JSON.stringify(web));
      const webApp = web.data.createConnectApplication!.application as { id: string };
      ack.webApps.push(webApp.id);
      const granted = await gql(token, GRANT, { i: { applicationId: webApp.id, scopes: [SCOPE], kind: "DELEGATED" } });
      if (granted.data.grantScopes!.__typename === "GrantScopesSuccess") ack.grants += 1;
      const m2m = await gql(token, CREATE, { i: { name: `m2m ${n}-${i}-${Date.now()}`, applicationType: "M2M", organizationId: admin.organizationId, scopes: [SCOPE] } });
      if (m2m.data?.createConnectApplication?.__typename !== "CreateConnectApplicationSuccess" && !stop.now) ack.errors.push(JSON.stringify(m2m));
      const app = m2m.data.createConnectApplication!.application as { id: string; clientId: string };
      for (let s = 0; s < 2; s++) {
        const added = await gql(token, ADD_SECRET, { i: { applicationId: app.id } });
        if (added.data.addClientSecret!.__typename !== "AddClientSecretSuccess" && !stop.now) ack.errors.push(JSON.stringify(added));
        if (added.data.addClientSecret!.__typename === "AddClientSecretSuccess") ack.secrets.push({ clientId: app.clientId, secret: added.data.addClientSecret!.plaintext as string });
      }
    } catch (err) {
      // The server died under us: whatever was not acknowledged may or may not exist.
      if (!stop.now) ack.errors.push(String(err));
      return;
    }
  }
}

type Row = Record<string, unknown>;

/** Raw rows, straight from the database the server wrote. */
async function query(sql: string): Promise<Row[]> {
  if (database.provider === "sqlite") {
    const db = new Database(database.url.replace(/^file:/, ""), { readonly: true });
    try {
      return db.prepare(sql).all() as Row[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

async function count(sql: string): Promise<number> {
  const [row] = await query(sql);
  return Number(Object.values(row!)[0]);
}

const figures: { cycle: number; secrets: number; webApps: number; grants: number; killedAfterMs: number }[] = [];
afterAll(() => console.info(`[crash-safety] ${database?.provider}: ${JSON.stringify(figures)}`));

it(`survives ${CYCLES} SIGKILLs mid-write: every acknowledged secret authenticates and nothing half-written is visible`, async () => {
  const everything: Acknowledged = { secrets: [], webApps: [], grants: 0, errors: [] };
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const child = await startChild();
    const token = await adminToken();
    const ack: Acknowledged = { secrets: [], webApps: [], grants: 0, errors: [] };
    const stop = { now: false };
    const work = Array.from({ length: WORKERS }, (_, n) => worker(token, n, ack, stop));
    // Kill once some work is acknowledged, at a different moment each cycle, with every worker mid-request.
    const started = Date.now();
    while (ack.secrets.length < 6 * cycle && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 37 * cycle));
    const killedAfterMs = Date.now() - started;
    child.kill("SIGKILL");
    stop.now = true;
    await Promise.all(work);
    await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
    expect(child.signalCode).toBe("SIGKILL");
    expect(ack.errors).toEqual([]);
    expect(ack.secrets.length, "the workers got nothing done before the kill").toBeGreaterThan(0);
    figures.push({ cycle, secrets: ack.secrets.length, webApps: ack.webApps.length, grants: ack.grants, killedAfterMs });
    everything.secrets.push(...ack.secrets);
    everything.webApps.push(...ack.webApps);

    const restarted = await startChild();
    try {
      // Every secret ever acknowledged, from this cycle and the ones before, still works.
      const failures: string[] = [];
      for (let i = 0; i < everything.secrets.length; i += 10) {
        const batch = everything.secrets.slice(i, i + 10);
        const results = await Promise.all(batch.map((s) => postForm(`${base()}/oauth/token`, { grant_type: "client_credentials", scope: SCOPE }, basic(s.clientId, s.secret))));
        results.forEach((r, j) => r.status !== 200 && failures.push(`${batch[j]!.clientId}: ${r.status} ${JSON.stringify(r.body)}`));
      }
      expect(failures).toEqual([]);
    } finally {
      restarted.kill("SIGKILL");
      await new Promise<void>((resolve) => (restarted.exitCode !== null || restarted.signalCode !== null ? resolve() : restarted.once("exit", () => resolve())));
    }

    // Nothing half-written, whatever was in flight when the process died.
    expect(await count(`SELECT COUNT(*) FROM "ConnectApplication" a WHERE a."applicationType" = 'OAUTH' AND NOT EXISTS (SELECT 1 FROM "RedirectUri" r WHERE r."applicationId" = a."id")`), "web apps without redirect URIs").toBe(0);
    expect(await count(`SELECT COUNT(*) FROM "RedirectUri" r WHERE NOT EXISTS (SELECT 1 FROM "ConnectApplication" a WHERE a."id" = r."applicationId")`), "redirect URIs without an app").toBe(0);
    expect(await count(`SELECT COUNT(*) FROM "ClientSecret" s WHERE NOT EXISTS (SELECT 1 FROM "ConnectApplication" a WHERE a."id" = s."applicationId")`), "secrets without an app").toBe(0);
    expect(await count(`SELECT COUNT(*) FROM "ScopeGrant" g JOIN "ConnectApplication" a ON a."id" = g."applicationId" WHERE (a."name" LIKE 'm2m %' OR a."name" LIKE 'web %') AND NOT EXISTS (SELECT 1 FROM "ConnectApplication" a WHERE a."id" = g."applicationId")`), "grants without an app").toBe(0);
    expect(await count(`SELECT COUNT(*) FROM "ConnectApplication" a WHERE (a."name" LIKE 'm2m %' OR a."name" LIKE 'web %') AND NOT EXISTS (SELECT 1 FROM "AuditEvent" e WHERE e."applicationId" = a."id" AND e."action" = 'application.created')`), "apps without their audit event (bootstrap's admin app has organization.created)").toBe(0);
    expect(await count(`SELECT COUNT(*) FROM "AuditEvent" e WHERE e."action" = 'application.created' AND NOT EXISTS (SELECT 1 FROM "ConnectApplication" a WHERE a."id" = e."applicationId")`), "audit events of apps that are not there").toBe(0);
    expect(
      await count(
        `SELECT COUNT(*) FROM "ConnectApplication" a WHERE (a."name" LIKE 'm2m %' OR a."name" LIKE 'web %') AND (SELECT COUNT(*) FROM "ClientSecret" s WHERE s."applicationId" = a."id") <> (SELECT COUNT(*) FROM "AuditEvent" e WHERE e."applicationId" = a."id" AND e."action" = 'client_secret.created')`,
      ),
      "secrets and their audit events disagree",
    ).toBe(0);
    expect(
      await count(
        `SELECT COUNT(*) FROM "ScopeGrant" g JOIN "ConnectApplication" a ON a."id" = g."applicationId" WHERE (a."name" LIKE 'm2m %' OR a."name" LIKE 'web %') AND NOT EXISTS (SELECT 1 FROM "AuditEvent" e WHERE e."applicationId" = g."applicationId" AND e."action" IN ('scopes.granted', 'application.created') AND e."details" LIKE '%' || g."scope" || '%')`,
      ),
      "grants without their audit event",
    ).toBe(0);
    expect(
      await count(
        `SELECT COUNT(*) FROM "AuditEvent" e WHERE e."action" = 'scopes.granted' AND NOT EXISTS (SELECT 1 FROM "ScopeGrant" g WHERE g."applicationId" = e."applicationId")`,
      ),
      "grant events without their grant",
    ).toBe(0);
  }
}, 300_000);
