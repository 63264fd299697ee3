// Token exchange and on-behalf-of throughput against client_credentials, in the same run on
// the same server (goal: each >= 0.5x client_credentials). The identity provider is
// a local HTTP server with its own key; its JWKS is fetched once and cached, so an exchange is
// a verification plus a signature. Targets are interleaved in rounds; only ratios mean anything.
// `npx tsx bench/token-exchange.ts [--quick] [--profile]` (--profile: a V8 CPU profile of the
// server, summarised by bench/top-functions.ts)
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startExternalIssuer } from "../test/helpers/external-issuer.ts";
import { runLoad, type LoadResult } from "./lib/load.ts";
import { stopAll, withCpu } from "./lib/procs.ts";
import { reportRun } from "./lib/report.ts";
import { adminToken, basic, bootstrap, cli, GraphQLClient, randomChars, scopekeeperEnv, startScopekeeper, TOKEN_BODY } from "./lib/scopekeeper.ts";

const QUICK = process.argv.includes("--quick");
const PROFILE = process.argv.includes("--profile");
const S = QUICK ? { rounds: 2, duration: 3, warmup: 1 } : { rounds: 3, duration: 8, warmup: 3 };
const CONNECTIONS = 32;
const OBO_SCOPE = "knowledge.portalmgr.onbehalfof.read";
const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";

const tmp = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-bench-exchange-"));
const idp = await startExternalIssuer();
try {
  // development, not production: only there may an identity provider be plain http on loopback.
  const env = { ...scopekeeperEnv(`file:${path.join(tmp, "bench.db")}`, randomChars(40)), NODE_ENV: "development" };
  const profileDir = path.join(tmp, "profile");
  const server = await startScopekeeper("scopekeeper-sqlite", env, PROFILE ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] } : {});
  const admin = await bootstrap(env, "Bench");
  const gql = new GraphQLClient(server.url, await adminToken(server.url, admin));
  await cli(env, ["user", "add", "--org", admin.organizationId, "--email", "alice@bench.test", "--password", "bench password 1", "--role", "MEMBER"]);
  await gql.request(
    `mutation R($input: RegisterIdentityProviderInput!) { registerIdentityProvider(input: $input) { __typename } }`,
    { input: { organizationId: admin.organizationId, name: "IdP", issuer: idp.issuer, jwksUri: idp.jwksUri, audience: "api://bench", subjectMapping: "EMAIL" } },
  );
  const webApp = async (name: string, extra: Record<string, unknown>, scopes: string[]) => {
    const app = await gql.createApplication({ name, applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: admin.organizationId, redirectUris: [{ uri: "https://bench.example/cb" }], ...extra });
    await gql.request(`mutation G($input: GrantScopesInput!) { grantScopes(input: $input) { __typename } }`, { input: { applicationId: app.id, scopes, kind: "DELEGATED" } });
    return { clientId: app.clientId, clientSecret: (await gql.addSecret(app.id)).plaintext };
  };
  const m2m = await gql.createM2MClient(admin.organizationId, "CC client");
  const exchanger = await webApp("Exchanger", { tokenExchange: { enabled: true } }, ["knowledge.portalmgr.read"]);
  const obo = await webApp("Middle tier", { onBehalfOfEnabled: true }, [OBO_SCOPE]);

  const now = Math.floor(Date.now() / 1000);
  const idpToken = await idp.sign({ sub: "alice", aud: "api://bench", email: "alice@bench.test", email_verified: true, exp: now + 3600 });
  const exchangeBody = new URLSearchParams({ grant_type: EXCHANGE, subject_token: idpToken, subject_token_type: "urn:ietf:params:oauth:token-type:jwt", scope: "knowledge.portalmgr.read" }).toString();
  const tokenUrl = `${server.url}/oauth/token`;
  const form = { "content-type": "application/x-www-form-urlencoded" };
  const first = await fetch(tokenUrl, { method: "POST", headers: { ...form, authorization: basic(exchanger.clientId, exchanger.clientSecret) }, body: exchangeBody });
  const firstJson = (await first.json()) as { access_token?: string };
  if (!firstJson.access_token) throw new Error(`exchange failed: ${first.status} ${JSON.stringify(firstJson)}`);
  const oboBody = new URLSearchParams({ grant_type: EXCHANGE, subject_token: firstJson.access_token, subject_token_type: "urn:ietf:params:oauth:token-type:access_token", scope: OBO_SCOPE }).toString();

  const targets = [
    { key: "cc", label: "client_credentials", headers: { ...form, authorization: basic(m2m.clientId, m2m.clientSecret) }, body: TOKEN_BODY },
    { key: "exchange", label: "token exchange (external IdP JWT)", headers: { ...form, authorization: basic(exchanger.clientId, exchanger.clientSecret) }, body: exchangeBody },
    { key: "obo", label: "on-behalf-of (this server's access token)", headers: { ...form, authorization: basic(obo.clientId, obo.clientSecret) }, body: oboBody },
  ];
  const results = new Map<string, (LoadResult & { cpuMs: number })[]>();
  for (const t of targets) await runLoad({ url: tokenUrl, connections: CONNECTIONS, duration: S.warmup, method: "POST", headers: t.headers, body: t.body });
  for (let round = 0; round < S.rounds; round++) {
    for (const t of targets) {
      const { value: r, serverCores } = await withCpu([server.child.pid], () =>
        runLoad({ url: tokenUrl, connections: CONNECTIONS, duration: S.duration, method: "POST", headers: t.headers, body: t.body }),
      );
      if (r.errors > 0) throw new Error(`${t.label}: ${r.errors} errors ${JSON.stringify(r.statusCodes)}`);
      results.set(t.key, [...(results.get(t.key) ?? []), { ...r, cpuMs: (serverCores * 1000) / r.rps }]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rps = (key: string) => median(results.get(key)!.map((r) => r.rps));
  const p99 = (key: string) => median(results.get(key)!.map((r) => r.p99));
  // Server CPU per request: contention from other jobs inflates it far less than it cuts req/s.
  const cpuMs = (key: string) => median(results.get(key)!.map((r) => r.cpuMs));
  const lines = [
    `# Token exchange throughput (${new Date().toISOString()}${QUICK ? ", quick" : ""})`,
    "",
    `autocannon ${CONNECTIONS} connections, POST /oauth/token, one SQLite server process, ${S.rounds} interleaved rounds x ${S.duration} s after ${S.warmup} s warm-up each; medians.`,
    `JWKS fetches by the identity provider during the run: ${idp.jwksHits()}. NODE_ENV=development (a loopback http identity provider is refused in production).`,
    "",
    "| target | req/s | p99 ms | ÷ client_credentials (goal >= 0.5) | server CPU ms per request | client_credentials' CPU ÷ this one's |",
    "| --- | --- | --- | --- | --- | --- |",
    ...targets.map((t) => `| ${t.label} | ${rps(t.key).toFixed(0)} | ${p99(t.key).toFixed(1)} | ${(rps(t.key) / rps("cc")).toFixed(2)} | ${cpuMs(t.key).toFixed(3)} | ${(cpuMs("cc") / cpuMs(t.key)).toFixed(2)} |`),
    "",
  ];
  await reportRun("token-exchange", lines, { quick: QUICK, ...(PROFILE ? { profiled: { server: server.child, profileDir } } : {}) });
} finally {
  await stopAll();
  await idp.close();
  rmSync(tmp, { recursive: true, force: true });
}
