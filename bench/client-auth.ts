// client_credentials throughput with private_key_jwt (RFC 7523) and with DPoP (RFC 9449), as
// ratios to client_secret_basic in the same run on the same server (goal: each >= 0.5x).
// Every request carries a fresh assertion or proof (a new jti), so each one costs the server a
// signature verification and a replay-store use, as in production. They are signed before each
// load (node:crypto), not while it runs: signing in the load generator's process would make
// autocannon, not the server, the bottleneck. Targets are
// interleaved in rounds; only the ratios mean anything.
// `npx tsx bench/client-auth.ts [--quick] [--profile] [--only=basic,built,jwt,dpop]`
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runLoad, type LoadResult, type LoadSpec } from "./lib/load.ts";
import { stopAll, withCpu } from "./lib/procs.ts";
import { reportRun } from "./lib/report.ts";
import { adminToken, basic, BENCH_SCOPE, bootstrap, GraphQLClient, randomChars, scopekeeperEnv, startScopekeeper, TOKEN_BODY } from "./lib/scopekeeper.ts";

const QUICK = process.argv.includes("--quick");
const PROFILE = process.argv.includes("--profile");
/** `--only=jwt,dpop`: load only those targets, e.g. to profile one; ratios need basic among them. */
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const S = QUICK ? { rounds: 2, duration: 3, warmup: 1 } : { rounds: 3, duration: 8, warmup: 3 };
const CONNECTIONS = 32;
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
function es256(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
}
function ecKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" }) as Record<string, string>;
  return { privateKey, jwk: { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! } };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-bench-client-auth-"));
try {
  const env = scopekeeperEnv(`file:${path.join(tmp, "bench.db")}`, randomChars(40));
  const profileDir = path.join(tmp, "profile");
  const server = await startScopekeeper("scopekeeper-sqlite", env, PROFILE ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] } : {});
  const admin = await bootstrap(env, "Bench");
  const gql = new GraphQLClient(server.url, await adminToken(server.url, admin));
  const tokenUrl = `${server.url}/oauth/token`;
  const issuer = server.url;
  const form = { "content-type": "application/x-www-form-urlencoded" };

  const m2m = await gql.createM2MClient(admin.organizationId, "Secret client");
  const signer = ecKey();
  const kid = "bench-key";
  const jwtApp = await gql.createApplication({
    name: "Key client",
    applicationType: "M2M",
    organizationId: admin.organizationId,
    tokenEndpointAuthMethod: "PRIVATE_KEY_JWT",
    jwks: JSON.stringify({ keys: [{ ...signer.jwk, kid, alg: "ES256", use: "sig" }] }),
  });
  await gql.grantScopes(jwtApp.id, [BENCH_SCOPE]);
  const dpopKey = ecKey();

  const assertionBody = () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = es256({ alg: "ES256", kid }, { iss: jwtApp.clientId, sub: jwtApp.clientId, aud: issuer, jti: randomUUID(), iat: now, exp: now + 60 }, signer.privateKey);
    return `${TOKEN_BODY}&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=${assertion}`;
  };
  // The server's nonce lives one to two minutes: fetched before each load.
  let nonce = "";
  const proof = () =>
    es256({ alg: "ES256", typ: "dpop+jwt", jwk: dpopKey.jwk }, { htm: "POST", htu: tokenUrl, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), nonce }, dpopKey.privateKey);
  const refreshNonce = async () => {
    const res = await fetch(tokenUrl, { method: "POST", headers: { ...form, authorization: basic(m2m.clientId, m2m.clientSecret), dpop: proof() }, body: TOKEN_BODY });
    nonce = res.headers.get("dpop-nonce") ?? nonce;
  };

  /** Signed ahead of a load: enough for the fastest rate seen here, then signed on the fly. */
  const ahead = (make: () => string) => {
    let pool: string[] = [];
    return {
      fill: (seconds: number) => {
        pool = Array.from({ length: seconds * 6000 }, make);
      },
      next: () => pool.pop() ?? make(),
    };
  };
  const assertions = ahead(assertionBody);
  const proofs = ahead(proof);

  interface Target {
    key: string;
    label: string;
    spec: Omit<LoadSpec, "duration">;
    before?: (seconds: number) => Promise<void>;
  }
  const targets: Target[] = [
    { key: "basic", label: "client_secret_basic (Bearer)", spec: { url: tokenUrl, connections: CONNECTIONS, method: "POST", headers: { ...form, authorization: basic(m2m.clientId, m2m.clientSecret) }, body: TOKEN_BODY } },
    // The same request, but made afresh for every request as the two targets below must be: on
    // two cores autocannon's per-request building took 8-10% of basic's rate at the same server
    // CPU (2026-12-07), a cost of the load generator, not of the server.
    {
      key: "built",
      label: "client_secret_basic, built per request like the two below",
      spec: { url: tokenUrl, connections: CONNECTIONS, method: "POST", headers: { ...form, authorization: basic(m2m.clientId, m2m.clientSecret) }, body: TOKEN_BODY, headersPerRequest: () => ({}) },
    },
    {
      key: "jwt",
      label: "private_key_jwt (ES256 assertion, fresh jti)",
      spec: { url: tokenUrl, connections: CONNECTIONS, method: "POST", headers: form, bodyPerRequest: assertions.next },
      before: async (seconds) => assertions.fill(seconds),
    },
    {
      key: "dpop",
      label: "client_secret_basic + DPoP (ES256 proof with nonce, fresh jti)",
      spec: { url: tokenUrl, connections: CONNECTIONS, method: "POST", headers: { ...form, authorization: basic(m2m.clientId, m2m.clientSecret) }, body: TOKEN_BODY, headersPerRequest: () => ({ dpop: proofs.next() }) },
      // A fresh nonce, then proofs made with it (their iat must stay within a minute).
      before: async (seconds) => {
        await refreshNonce();
        proofs.fill(seconds);
      },
    },
  ];

  // Each target answers 200 with a token before any load.
  await refreshNonce();
  for (const t of targets) {
    const res = await fetch(tokenUrl, { method: "POST", headers: { ...t.spec.headers, ...t.spec.headersPerRequest?.() }, body: t.spec.bodyPerRequest?.() ?? t.spec.body });
    const json = (await res.json()) as { token_type?: string };
    if (res.status !== 200) throw new Error(`${t.label}: ${res.status} ${JSON.stringify(json)}`);
    if (t.key === "dpop" && json.token_type !== "DPoP") throw new Error(`DPoP target got token_type ${json.token_type}`);
  }

  if (ONLY) targets.splice(0, targets.length, ...targets.filter((t) => ONLY.includes(t.key)));
  const results = new Map<string, (LoadResult & { cpuMs: number })[]>();
  for (const t of targets) {
    await t.before?.(S.warmup);
    await runLoad({ ...t.spec, duration: S.warmup });
  }
  for (let round = 0; round < S.rounds; round++) {
    for (const t of targets) {
      await t.before?.(S.duration);
      const { value: r, serverCores } = await withCpu([server.child.pid], () => runLoad({ ...t.spec, duration: S.duration }));
      if (r.errors > 0) throw new Error(`${t.label}: ${r.errors} errors ${JSON.stringify(r.statusCodes)}`);
      results.set(t.key, [...(results.get(t.key) ?? []), { ...r, cpuMs: (serverCores * 1000) / r.rps }]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rps = (key: string) => median(results.get(key)!.map((r) => r.rps));
  const p99 = (key: string) => median(results.get(key)!.map((r) => r.p99));
  const cpuMs = (key: string) => median(results.get(key)!.map((r) => r.cpuMs));
  const ratio = (f: (key: string) => number, key: string, base = "basic", inverse = false) =>
    results.has(base) ? (inverse ? f(base) / f(key) : f(key) / f(base)).toFixed(2) : "n/a";
  const lines = [
    `# Client authentication and DPoP throughput (${new Date().toISOString()}${QUICK ? ", quick" : ""})`,
    "",
    `autocannon ${CONNECTIONS} connections, POST /oauth/token (client_credentials), one SQLite server process in production mode, ${S.rounds} interleaved rounds x ${S.duration} s after ${S.warmup} s warm-up each; medians. Load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}.`,
    "",
    "| target | req/s | p99 ms | req/s ÷ client_secret_basic (goal >= 0.5) | req/s ÷ basic built per request | server CPU ms per request | basic's CPU ÷ this one's |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...targets.map(
      (t) =>
        `| ${t.label} | ${rps(t.key).toFixed(0)} | ${p99(t.key).toFixed(1)} | ${ratio(rps, t.key)} | ${ratio(rps, t.key, "built")} | ${cpuMs(t.key).toFixed(3)} | ${ratio(cpuMs, t.key, "basic", true)} |`,
    ),
    "",
  ];
  await reportRun("client-auth", lines, { quick: QUICK, ...(PROFILE ? { profiled: { server: server.child, profileDir } } : {}) });
} finally {
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
}
