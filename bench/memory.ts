// Long-running memory with and without MALLOC_ARENA_MAX=2, and start-up time beside a bare
// Node process, each pair measured in the same run on the same SQLite file (issue 11).
//  - RSS: two server processes side by side, one with glibc's default arenas, one with
//    MALLOC_ARENA_MAX=2; each creates N applications with a secret through its own GraphQL
//    (argon2id at the OWASP default, on libuv's pool of 16 threads) and then serves a token
//    load; RSS after each phase.
//  - start-up: spawn `node bin/scopekeeper.js serve` to the first 200 from /readyz, against
//    spawn `node -e <an http server>` to its first 200 (the floor Node itself sets), 3 times each.
// `npx tsx bench/memory.ts [--quick]`
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runLoad } from "./lib/load.ts";
import { rssOf, sleep, spawnChild, stopAll, stopChild } from "./lib/procs.ts";
import { adminToken, basic, bootstrap, freePort, GraphQLClient, randomChars, scopekeeperEnv, startScopekeeper, TOKEN_BODY } from "./lib/scopekeeper.ts";

const QUICK = process.argv.includes("--quick");
const S = QUICK ? { secrets: 20, load: 10 } : { secrets: 60, load: 30 };
const BIN = path.resolve("bin/scopekeeper.js");
const mb = (b: number | null) => (b === null ? "n/a" : `${(b / 1024 / 1024).toFixed(1)} MB`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeToFirst200(command: string, args: string[], env: NodeJS.ProcessEnv, pathname: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawnChild("startup-probe", command, args, { env: { ...env, PORT: String(port) } });
  try {
    for (;;) {
      if (child.exitCode !== undefined) throw new Error(`${command} exited (code ${child.exitCode})`);
      if (performance.now() - t0 > 60_000) throw new Error("not ready within 60 s");
      try {
        const res = await fetch(`http://127.0.0.1:${port}${pathname}`);
        await res.arrayBuffer();
        if (res.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      await sleep(5);
    }
  } finally {
    await stopChild(child);
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-bench-memory-"));
try {
  // One SQLite file each: two processes writing one file at once would wait on its lock.
  const env = scopekeeperEnv(`file:${path.join(tmp, "bench.db")}`, randomChars(40));
  const env2 = scopekeeperEnv(`file:${path.join(tmp, "bench2.db")}`, randomChars(40));
  const variants = [
    { key: "default", label: "glibc default arenas", extraEnv: {} },
    { key: "arenas2", label: "MALLOC_ARENA_MAX=2", extraEnv: { MALLOC_ARENA_MAX: "2" } },
  ];
  const first = await startScopekeeper("sk-default", env, { migrate: true });
  const second = await startScopekeeper("sk-arenas2", env2, { migrate: true, extraEnv: { MALLOC_ARENA_MAX: "2" } });
  const admins = [await bootstrap(env, "Bench"), await bootstrap(env2, "Bench")];
  const servers = [first, second];
  const rss: Record<string, [string, number | null][]> = { default: [], arenas2: [] };
  const note = async (phase: string) => {
    for (const [i, v] of variants.entries()) rss[v.key]!.push([phase, await rssOf(servers[i]!.child.pid)]);
  };
  await sleep(1000);
  await note("idle after start");
  // The same work in both processes at the same time, so both see the same neighbours.
  const clients = await Promise.all(servers.map(async (s, i) => new GraphQLClient(s.url, await adminToken(s.url, admins[i]!))));
  await Promise.all(
    clients.map(async (gql, i) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < S.secrets) {
            const n = next++;
            const app = await gql.createApplication({ name: `Memory ${i}-${n}`, applicationType: "M2M", organizationId: admins[i]!.organizationId });
            await gql.addSecret(app.id);
          }
        }),
      );
    }),
  );
  await note(`after ${S.secrets} apps + secrets (argon2id hashes)`);
  const m2ms = await Promise.all(clients.map((c, i) => c.createM2MClient(admins[i]!.organizationId, "Load client")));
  await Promise.all(
    servers.map((s, i) =>
      runLoad({ url: `${s.url}/oauth/token`, connections: 16, duration: S.load, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(m2ms[i]!.clientId, m2ms[i]!.clientSecret) }, body: TOKEN_BODY }),
    ),
  );
  await note(`after ${S.load} s of token load`);
  await sleep(3000);
  await note("3 s later, idle");
  await stopChild(first.child);
  await stopChild(second.child);

  const startups: Record<string, number[]> = { scopekeeper: [], node: [] };
  const bare = "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')";
  for (let i = 0; i < 3; i++) {
    startups.scopekeeper!.push(await timeToFirst200(process.execPath, [BIN, "serve"], env, "/readyz"));
    startups.node!.push(await timeToFirst200(process.execPath, ["-e", bare], env, "/"));
  }
  const sk = median(startups.scopekeeper!);
  const node = median(startups.node!);

  const phases = rss.default!.map(([p]) => p);
  const lines = [
    `# Memory and start-up (${new Date().toISOString()}${QUICK ? ", quick" : ""})`,
    "",
    `Load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}. Two server processes side by side on one SQLite file, the same work at the same time; RSS per phase.`,
    "",
    `| phase | ${variants.map((v) => v.label).join(" | ")} | ratio |`,
    "| --- | ---: | ---: | ---: |",
    ...phases.map((p, i) => {
      const a = rss.default![i]![1];
      const b = rss.arenas2![i]![1];
      return `| ${p} | ${mb(a)} | ${mb(b)} | ${a && b ? (b / a).toFixed(2) : "n/a"} |`;
    }),
    "",
    "| start-up to the first 200 (median of 3) | ms |",
    "| --- | ---: |",
    `| \`scopekeeper serve\` on the existing SQLite file, to /readyz | ${sk.toFixed(0)} (${startups.scopekeeper!.map((x) => x.toFixed(0)).join(", ")}) |`,
    `| bare \`node -e\` http server (control) | ${node.toFixed(0)} (${startups.node!.map((x) => x.toFixed(0)).join(", ")}) |`,
    `| Scopekeeper's own share (difference) | ${(sk - node).toFixed(0)} |`,
    "",
  ];
  console.log(lines.join("\n"));
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(path.join("bench/results", `memory${QUICK ? "-quick" : ""}.md`), lines.join("\n"));
} finally {
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
}
