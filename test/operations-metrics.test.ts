// Issue 16.8: the metrics an operator needs beyond requests and tokens (argon2's queue, the
// secret-verification cache, the PostgreSQL pool), and a /readyz that follows the database
// down and back up without a restart.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { POSTGRES_URL } from "./helpers/database.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const METRICS_TOKEN = "metrics-token-0123456789";
let server: TestServer;
let admin: Admin;

beforeAll(async () => {
  // A real argon2 cost, so that a burst of verifications queues up visibly.
  server = await startTestServer({ env: { METRICS_TOKEN, ARGON2_MEMORY_KIB: "19456", ARGON2_TIME_COST: "2" } });
  admin = await bootstrapAdmin(server, "Metrics");
});
afterAll(async () => server?.close());

async function metrics(): Promise<string> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
}

function value(text: string, series: string): number {
  const escaped = series.replace(/[{}"=.,]/g, (c) => `\\${c}`);
  const match = new RegExp(`^${escaped} ([0-9.e+-]+)$`, "m").exec(text);
  if (!match) throw new Error(`no ${series} in\n${text.split("\n").filter((l) => l.startsWith(series.split("{")[0]!)).join("\n")}`);
  return Number(match[1]);
}

const tokenForm = { grant_type: "client_credentials", scope: "connect.applications.read" };

it("counts secret-verification cache hits and misses: the first use of a secret misses, the next ones hit", async () => {
  const before = await metrics();
  const hits0 = value(before, 'scopekeeper_secret_verification_cache_total{result="hit"}');
  const misses0 = value(before, 'scopekeeper_secret_verification_cache_total{result="miss"}');
  // bootstrapAdmin already used the secret once: every request here is answered from the cache.
  for (let i = 0; i < 5; i++) expect((await postForm(`${server.url}/oauth/token`, tokenForm, basic(admin.clientId, admin.clientSecret))).status).toBe(200);
  // A wrong value is one miss, then remembered.
  const wrong = `${admin.clientSecret.slice(0, -4)}AAAA`;
  for (let i = 0; i < 3; i++) expect((await postForm(`${server.url}/oauth/token`, tokenForm, basic(admin.clientId, wrong))).status).toBe(401);
  const after = await metrics();
  expect(value(after, 'scopekeeper_secret_verification_cache_total{result="hit"}') - hits0).toBe(7);
  expect(value(after, 'scopekeeper_secret_verification_cache_total{result="miss"}') - misses0).toBe(1);
  expect(value(after, "scopekeeper_secret_verification_cache_hit_ratio")).toBeGreaterThan(0.5);
});

it("shows argon2's queue while a burst of verifications waits for the thread pool, and an empty one after", async () => {
  const idle = await metrics();
  expect(value(idle, 'scopekeeper_argon2_queue_depth{kind="verify"}')).toBe(0);
  expect(value(idle, 'scopekeeper_argon2_queue_depth{kind="hash"}')).toBe(0);
  expect(value(idle, "scopekeeper_argon2_in_flight")).toBe(0);
  // 12 different wrong values for a real secret id: 12 argon2 runs, at most (cores - 1) at once.
  const burst = Array.from({ length: 12 }, (_, i) =>
    postForm(`${server.url}/oauth/token`, tokenForm, basic(admin.clientId, `${admin.clientSecret.slice(0, -4)}${String(i).padStart(4, "B")}`)),
  );
  let deepest = 0;
  let busiest = 0;
  for (let i = 0; i < 20; i++) {
    const text = await metrics();
    deepest = Math.max(deepest, value(text, 'scopekeeper_argon2_queue_depth{kind="verify"}'));
    busiest = Math.max(busiest, value(text, "scopekeeper_argon2_in_flight"));
    if (deepest > 0 && busiest > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const res of await Promise.all(burst)) expect(res.status).toBe(401);
  expect(deepest).toBeGreaterThan(0);
  expect(busiest).toBeGreaterThan(0);
  const after = await metrics();
  expect(value(after, 'scopekeeper_argon2_queue_depth{kind="verify"}')).toBe(0);
  expect(value(after, "scopekeeper_argon2_in_flight")).toBe(0);
});

it("keeps requests by route and status, token answers by grant and outcome, and latency histograms", async () => {
  await postForm(`${server.url}/oauth/token`, { grant_type: "urn:made:up" }, basic(admin.clientId, admin.clientSecret));
  const text = await metrics();
  expect(text).toMatch(/scopekeeper_http_requests_total\{route="\/oauth\/token",method="POST",status="401"\} [1-9]/);
  expect(text).toMatch(/scopekeeper_tokens_total\{grant_type="client_credentials",outcome="issued"\} [1-9]/);
  expect(text).toMatch(/scopekeeper_tokens_total\{grant_type="urn:made:up",outcome="4xx"\} 1/);
  expect(text).toMatch(/scopekeeper_http_request_duration_seconds_count\{route="\/oauth\/token"\} [1-9]/);
  expect(text).toContain("# TYPE scopekeeper_throttled_requests_total counter");
});

describe.runIf(Boolean(POSTGRES_URL))("on PostgreSQL", () => {
  it("reports the connection pool", async () => {
    const text = await metrics();
    expect(value(text, "scopekeeper_db_pool_connections")).toBeGreaterThan(0);
    expect(value(text, "scopekeeper_db_pool_idle_connections")).toBeGreaterThanOrEqual(0);
    expect(value(text, "scopekeeper_db_pool_waiting_requests")).toBe(0);
  });

  it("fails /readyz while the database refuses connections, and recovers by itself when it comes back", async () => {
    const name = new URL(server.database.url).pathname.slice(1);
    const adminClient = new pg.Client({ connectionString: POSTGRES_URL });
    await adminClient.connect();
    const waitFor = async (status: number) => {
      for (let i = 0; i < 100; i++) {
        const res = await fetch(`${server.url}/readyz`);
        if (res.status === status) return res;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`/readyz never answered ${status}`);
    };
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      await adminClient.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await adminClient.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
      const down = await waitFor(503);
      expect(await down.json()).toEqual({ status: "unavailable", reason: "database unreachable" });
      // Still down a moment later: not a single failed query but the database being away.
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await adminClient.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      await adminClient.end();
    }
    expect(await (await waitFor(200)).json()).toEqual({ status: "ready" });
    // And the server serves again, same process.
    expect((await postForm(`${server.url}/oauth/token`, tokenForm, basic(admin.clientId, admin.clientSecret))).status).toBe(200);
  });
});

describe.runIf(!POSTGRES_URL)("on SQLite", () => {
  it("has no pool to report", async () => {
    expect(await metrics()).not.toContain("scopekeeper_db_pool_connections");
  });
});
