// How long a change made through one process takes to hold in the others (DESIGN "Several
// processes, one system": within 100 ms at p99). Three `scopekeeper serve` processes on one
// PostgreSQL database under client_credentials token load; in process A a client secret is
// revoked (GraphQL) or an access token is revoked (RFC 7009); the time from A's answer to the
// first refusal by B and by C is one sample each. Run twice: CHANGE_FEED=off (the caches' time
// bounds only, as before the change feed) and on.
//
//   npx tsx bench/propagation.ts [--quick] [--trials N]
//
// Only 127.0.0.1 is targeted; every load is bounded by its duration; children are ended on exit.
import { randomBytes } from "node:crypto";
import os from "node:os";
import { runLoad, stopAllLoads, type LoadResult } from "./lib/load.ts";
import { createBenchDatabase, postgresReachable } from "./lib/pg.ts";
import { killAllNow, sleep, stopAll } from "./lib/procs.ts";
import { reportRun } from "./lib/report.ts";
import { adminToken, basic, bootstrap, cli, scopekeeperEnv, startScopekeeper, type ServerProcess } from "./lib/scopekeeper.ts";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const trialsAt = argv.indexOf("--trials");
const TRIALS = trialsAt >= 0 ? Number(argv[trialsAt + 1]) : QUICK ? 8 : 25;
/** Token load on every process while the changes are made: connections per process. */
const LOAD_CONNECTIONS = 2;
/** A poll that never sees the change gives up here (the longest time bound is 4 s). */
const GIVE_UP_MS = 10_000;

process.on("exit", () => killAllNow());
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    stopAllLoads();
    killAllNow();
    process.exit(130);
  });
}

if (!(await postgresReachable())) {
  console.error("PostgreSQL is not reachable on 127.0.0.1 (BENCH_PG_ADMIN_URL): nothing to measure");
  process.exit(1);
}

const log = (line: string) => console.error(`[propagation] ${line}`);

const METRICS_TOKEN = randomBytes(24).toString("base64url");

async function feedEvents(url: string): Promise<Record<"announced" | "received" | "reset" | "failure", number>> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const count = (event: string) => Number(new RegExp(`^scopekeeper_change_feed_events_total\\{event="${event}"\\} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  return { announced: count("announced"), received: count("received"), reset: count("reset"), failure: count("failure") };
}

interface ModeResult {
  notices?: string;
  feed: "off" | "on";
  secret: number[];
  token: number[];
  load: LoadResult[];
}

const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};

async function postJson(url: string, token: string, query: string, variables: object): Promise<any> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data?: any; errors?: unknown };
  if (json.errors || !json.data) throw new Error(JSON.stringify(json));
  return json.data;
}

const tokenStatus = async (url: string, clientId: string, secret: string) =>
  (
    await fetch(`${url}/oauth/token`, {
      method: "POST",
      headers: { authorization: basic(clientId, secret), "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials&scope=connect.applications.read",
    })
  ).status;

const viewerStatus = async (url: string, token: string) =>
  (
    await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ viewer { kind } }" }),
    })
  ).status;

/** Round trips of single polls: the resolution of every figure above under this load. */
const pollTimes: Record<"off" | "on", number[]> = { off: [], on: [] };
let mode: "off" | "on" = "off";

/** Polls back to back until `refused` holds; the time from `since`, in ms. */
async function timeUntil(since: number, refused: () => Promise<boolean>): Promise<number> {
  for (;;) {
    const sent = performance.now();
    const done = await refused();
    pollTimes[mode].push(performance.now() - sent);
    if (done) return performance.now() - since;
    if (performance.now() - since > GIVE_UP_MS) return GIVE_UP_MS;
  }
}

async function measure(feed: "off" | "on"): Promise<ModeResult> {
  mode = feed;
  const database = await createBenchDatabase();
  const result: ModeResult = { feed, secret: [], token: [], load: [] };
  try {
    const env = {
      ...scopekeeperEnv(database.url, randomBytes(32).toString("base64url")),
      CHANGE_FEED: feed,
      // The polls present revoked secrets back to back: the client-authentication throttle
      // would answer 429 long before the time bounds end.
      CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: "999999",
      CLIENT_AUTH_MAX_FAILURES_PER_CLIENT: "1000000",
      METRICS_TOKEN: METRICS_TOKEN,
    };
    await cli(env, ["migrate"]);
    const admin = await bootstrap(env, "Propagation");
    const a = await startScopekeeper("A", env);
    // One public issuer for the three, as behind one proxy.
    const others: ServerProcess[] = await Promise.all(["B", "C"].map((name) => startScopekeeper(name, { ...env, ISSUER: a.url })));
    const servers = [a, ...others];
    const adminAt = await adminToken(a.url, admin);
    const app = (
      await postJson(a.url, adminAt, `mutation ($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) { ... on CreateConnectApplicationSuccess { application { id clientId } } } }`, {
        input: { name: "Watched", applicationType: "M2M", organizationId: admin.organizationId, scopes: ["connect.applications.read"] },
      })
    ).createConnectApplication.application as { id: string; clientId: string };

    // Token load on every process for the whole measurement (bounded; restarted if it ends first).
    let loading = true;
    const loads = servers.map(async (s) => {
      while (loading) {
        result.load.push(
          await runLoad({
            url: `${s.url}/oauth/token`,
            connections: LOAD_CONNECTIONS,
            duration: 20,
            headers: { authorization: basic(admin.clientId, admin.clientSecret), "content-type": "application/x-www-form-urlencoded" },
            body: "grant_type=client_credentials&scope=connect.applications.read",
          }),
        );
      }
    });
    await sleep(2000);

    for (let i = 0; i < TRIALS; i++) {
      // A secret every process has verified and holds in its client directory...
      const added = (
        await postJson(a.url, adminAt, `mutation ($input: AddClientSecretInput!) { addClientSecret(input: $input) { ... on AddClientSecretSuccess { plaintext clientSecret { id } } } }`, {
          input: { applicationId: app.id },
        })
      ).addClientSecret as { plaintext: string; clientSecret: { id: string } };
      // (without the feed, the others see the new secret only once their view of the app expires)
      for (const s of others) {
        const since = performance.now();
        while ((await tokenStatus(s.url, app.clientId, added.plaintext)) !== 200) {
          if (performance.now() - since > GIVE_UP_MS) throw new Error(`the new secret is still refused by ${s.url}`);
          await sleep(50);
        }
      }
      // ... revoked through A: how long until B and C refuse it.
      await postJson(a.url, adminAt, `mutation ($input: RevokeClientSecretInput!) { revokeClientSecret(input: $input) { __typename } }`, { input: { id: added.clientSecret.id } });
      const revokedAt = performance.now();
      result.secret.push(...(await Promise.all(others.map((s) => timeUntil(revokedAt, async () => (await tokenStatus(s.url, app.clientId, added.plaintext)) === 401)))));

      // An access token B and C have found not revoked (and remember so for 1 s), revoked at A.
      const token = await adminToken(a.url, admin);
      for (const s of others) if ((await viewerStatus(s.url, token)) !== 200) throw new Error(`a fresh token was refused by ${s.url}`);
      const revoke = await fetch(`${a.url}/oauth/revoke`, {
        method: "POST",
        headers: { authorization: basic(admin.clientId, admin.clientSecret), "content-type": "application/x-www-form-urlencoded" },
        body: `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
      });
      if (revoke.status !== 200) throw new Error(`revocation answered ${revoke.status}`);
      const tokenRevokedAt = performance.now();
      result.token.push(...(await Promise.all(others.map((s) => timeUntil(tokenRevokedAt, async () => (await viewerStatus(s.url, token)) === 401)))));
      log(`feed ${feed}: trial ${i + 1}/${TRIALS}: secret ${result.secret.slice(-2).map((v) => v.toFixed(0)).join(", ")} ms; token ${result.token.slice(-2).map((v) => v.toFixed(0)).join(", ")} ms`);
    }
    loading = false;
    stopAllLoads();
    await Promise.all(loads);
    // Did every notice arrive? A's announcements against what B and C received (their own
    // announcements excepted: they made none but the console client's at start).
    const events = await Promise.all(servers.map((s) => feedEvents(s.url)));
    result.notices = `A announced ${events[0]!.announced}; B received ${events[1]!.received}, C received ${events[2]!.received}; resets ${events.map((e) => e.reset).join("/")}, failures ${events.map((e) => e.failure).join("/")}`;
  } finally {
    await stopAll();
    await database.drop();
  }
  return result;
}

const results: ModeResult[] = [];
for (const feed of ["off", "on"] as const) results.push(await measure(feed));

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const row = (r: ModeResult, what: "secret" | "token", label: string) => {
  const v = r[what];
  return `| ${r.feed === "off" ? "time bounds only (CHANGE_FEED=off)" : "change feed (LISTEN/NOTIFY)"} | ${label} | ${v.length} | ${fmt(percentile(v, 50))} | ${fmt(percentile(v, 99))} | ${fmt(Math.max(...v))} |`;
};
const loadRps = (r: ModeResult) => {
  const rps = r.load.filter((l) => l.seconds > 0).map((l) => l.rps);
  return rps.length ? (rps.reduce((s, x) => s + x, 0) / (rps.length / 3)).toFixed(0) : "n/a";
};
const lines = [
  `# Propagation of a change between processes (${new Date().toISOString()}${QUICK ? ", --quick" : ""})`,
  "",
  `Three \`scopekeeper serve\` processes on one PostgreSQL database, ${LOAD_CONNECTIONS} autocannon connections of client_credentials load on each; ${TRIALS} trials per mode, each a change made through process A and timed, from A's answer, until B and C refuse (one sample per process, so ${TRIALS * 2} per row). ms.`,
  "",
  "| mode | change | samples | p50 | p99 | max |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
  ...results.flatMap((r) => [row(r, "secret", "client secret revoked (GraphQL)"), row(r, "token", "access token revoked (RFC 7009)")]),
  "",
  `One poll (a token request or an admin API request to B or C, answered under the same load) took p50 ${results.map((r) => `${fmt(percentile(pollTimes[r.feed], 50))} ms / p99 ${fmt(percentile(pollTimes[r.feed], 99))} ms with the feed ${r.feed}`).join(", ")}: a sample cannot be shorter than the poll that sees the change.`,
  `Change feed notices (from /metrics): ${results.map((r) => `feed ${r.feed}: ${r.notices ?? "n/a"}`).join("; ")}.`,
  `Token load meanwhile, all three processes together: ${results.map((r) => `feed ${r.feed} ${loadRps(r)} req/s`).join(", ")}.`,
  `Machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} at the end (shared with other work: the figures are this run's, not the hardware's).`,
];
await reportRun("propagation", lines, { quick: QUICK });
