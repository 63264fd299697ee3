// The GraphQL list of 100 applications with redirect URIs, secrets and grants, every answer
// computed (issue 11: >= 300 req/s), beside two controls in the same run on the same server:
// client_credentials at the token endpoint, and the smallest GraphQL query (`viewer { id }`,
// the cost of the bearer check, Yoga and Fastify alone). Targets are interleaved in rounds.
// Besides req/s (which on a shared machine mostly measures the neighbours) it reports the
// server's CPU per request, which contention inflates far less: 1000 / (CPU ms per request) is
// what one core could serve.
// `npx tsx bench/graphql-list.ts [--quick] [--profile] [--only list,viewer]` (--profile: a V8
// CPU profile of the server, summarised by bench/top-functions.ts; --only: those targets alone)
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runLoad, type LoadSpec } from "./lib/load.ts";
import { stopAll, withCpu } from "./lib/procs.ts";
import { reportRun } from "./lib/report.ts";
import { adminToken, basic, bootstrap, BENCH_SCOPE, GraphQLClient, LIST_QUERY, randomChars, scopekeeperEnv, startScopekeeper, TOKEN_BODY } from "./lib/scopekeeper.ts";

const QUICK = process.argv.includes("--quick");
const PROFILE = process.argv.includes("--profile");
const onlyAt = process.argv.indexOf("--only");
const ONLY = onlyAt > 0 ? new Set(process.argv[onlyAt + 1]!.split(",")) : null;
const S = QUICK ? { rounds: 2, duration: 3, warmup: 2 } : { rounds: 3, duration: 8, warmup: 3 };
const CONNECTIONS = 32;
const APPS = 100;

const tmp = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-bench-list-"));
const profileDir = path.join(tmp, "profile");
try {
  const env = scopekeeperEnv(`file:${path.join(tmp, "bench.db")}`, randomChars(40));
  const server = await startScopekeeper("scopekeeper-sqlite", env, PROFILE ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] } : {});
  const admin = await bootstrap(env, "Bench");
  const gql = new GraphQLClient(server.url, await adminToken(server.url, admin));
  let next = 0;
  const createOne = async () => {
    while (next < APPS) {
      const i = next++;
      const app = await gql.createApplication({
        name: `Listed app ${i}`,
        applicationType: "OAUTH",
        platform: "WEB",
        isFirstParty: false,
        organizationId: admin.organizationId,
        redirectUris: [{ uri: `https://app-${i}.example.com/callback`, default: true }, { uri: `https://app-${i}.example.com/oauth/alt` }],
        postLogoutRedirectUris: [`https://app-${i}.example.com/`],
        scopes: [BENCH_SCOPE, "knowledge.articles.read"],
      });
      await gql.addSecret(app.id);
    }
  };
  await Promise.all(Array.from({ length: 4 }, createOne));
  const m2m = await gql.createM2MClient(admin.organizationId, "CC client");
  const listed = await gql.request<{ applications: { edges: { node: { redirectUris: unknown[]; clientSecrets: unknown[]; scopeGrants: unknown[] } }[] } }>(LIST_QUERY);
  const full = listed.applications.edges.filter((e) => e.node.redirectUris.length > 0 && e.node.clientSecrets.length > 0 && e.node.scopeGrants.length > 0);
  // The first organization is the operator's, which also sees the console's own client (no secret).
  if (listed.applications.edges.length !== APPS || full.length < APPS - 1) throw new Error(`the list returned ${listed.applications.edges.length} applications, ${full.length} with URIs, secrets and grants`);

  const gqlHeaders = { authorization: `Bearer ${gql.token}`, "content-type": "application/json" };
  // An unused variable that differs on every request: no response cache can answer.
  let bust = 0;
  const all: { key: string; label: string; spec: LoadSpec }[] = [
    { key: "cc", label: "client_credentials (control)", spec: { url: `${server.url}/oauth/token`, connections: CONNECTIONS, duration: S.duration, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(m2m.clientId, m2m.clientSecret) }, body: TOKEN_BODY } },
    { key: "viewer", label: "GraphQL `{ viewer { id } }` (control: bearer check + Yoga)", spec: { url: `${server.url}/graphql`, connections: CONNECTIONS, duration: S.duration, method: "POST", headers: gqlHeaders, bodyPerRequest: () => JSON.stringify({ query: "query V { viewer { id } }", variables: { uncached: bust++ } }) } },
    { key: "list", label: `GraphQL list of ${APPS} apps with URIs, secrets, grants, computed afresh`, spec: { url: `${server.url}/graphql`, connections: CONNECTIONS, duration: S.duration, method: "POST", headers: gqlHeaders, bodyPerRequest: () => JSON.stringify({ query: LIST_QUERY, variables: { uncached: bust++ } }) } },
    // Information: the same request again and again, as a polling client sends it (what a response cache could serve).
    { key: "repeat", label: `the same list request repeated`, spec: { url: `${server.url}/graphql`, connections: CONNECTIONS, duration: S.duration, method: "POST", headers: gqlHeaders, body: JSON.stringify({ query: LIST_QUERY }) } },
  ];
  // Without the control only when profiling one target alone: then no ratio is printed.
  const targets = all.filter((t) => !ONLY || ONLY.has(t.key) || (t.key === "cc" && !ONLY.has("-cc")));
  for (const t of targets) await runLoad({ ...t.spec, duration: S.warmup });
  const results = new Map<string, { rps: number; p99: number; cpuMs: number }[]>();
  for (let round = 0; round < S.rounds; round++) {
    for (const t of targets) {
      const { value: r, serverCores } = await withCpu([server.child.pid], () => runLoad(t.spec));
      if (r.errors > 0) throw new Error(`${t.label}: ${r.errors} errors ${JSON.stringify(r.statusCodes)}`);
      results.set(t.key, [...(results.get(t.key) ?? []), { rps: r.rps, p99: r.p99, cpuMs: (serverCores * 1000) / r.rps }]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const m = (key: string, f: "rps" | "p99" | "cpuMs") => median((results.get(key) ?? [{ rps: NaN, p99: NaN, cpuMs: NaN }]).map((r) => r[f]));
  const lines = [
    `# GraphQL list of ${APPS} applications (${new Date().toISOString()}${QUICK ? ", quick" : ""})`,
    "",
    `autocannon ${CONNECTIONS} connections, one SQLite server process (NODE_ENV=production), ${S.rounds} interleaved rounds x ${S.duration} s after ${S.warmup} s warm-up each; medians. Load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}.`,
    "",
    "| target | req/s | p99 ms | ÷ client_credentials | server CPU ms per request | one core could serve (req/s) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...targets.map((t) => `| ${t.label} | ${m(t.key, "rps").toFixed(0)} | ${m(t.key, "p99").toFixed(0)} | ${(m(t.key, "rps") / m("cc", "rps")).toFixed(3)} | ${m(t.key, "cpuMs").toFixed(2)} | ${(1000 / m(t.key, "cpuMs")).toFixed(0)} |`),
    "",
  ];
  await reportRun("graphql-list", lines, { quick: QUICK, ...(PROFILE ? { profiled: { server: server.child, profileDir } } : {}) });
} finally {
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
}
