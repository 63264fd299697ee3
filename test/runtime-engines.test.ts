// Issue 11 item 5: the Node versions the README promises. Every runtime dependency (what
// `npm install --omit=dev` would install) declares an `engines.node` range that includes the
// Node running this test, so installing prints no EBADENGINE for one. CI runs this on Node 20
// and on Node 24. Development tools (the Prisma CLI, graphql-codegen) may want a newer Node.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

interface LsNode {
  path?: string;
  dependencies?: Record<string, LsNode>;
}

/**
 * Folders of the runtime dependency tree. The Prisma CLI (`prisma`) shows up in it only as an
 * optional peer of @prisma/client; here it is a development tool (migrations run through
 * @prisma/schema-engine-wasm), not installed with --omit=dev, so its subtree is left out.
 */
function runtimePackageDirs(): string[] {
  let out: string;
  try {
    out = execFileSync("npm", ["ls", "--omit=dev", "--all", "--json", "--long"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    // npm ls exits non-zero on any tree warning; its tree is still complete.
    out = String((err as { stdout?: string }).stdout ?? "");
  }
  const dirs = new Set<string>();
  const walk = (node: LsNode) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (name === "prisma" || !child.path || dirs.has(child.path)) continue;
      dirs.add(child.path);
      walk(child);
    }
  };
  walk(JSON.parse(out) as LsNode);
  return [...dirs];
}

it(`installs no runtime dependency whose engines exclude Node ${process.version}`, () => {
  const dirs = runtimePackageDirs();
  expect(dirs.length).toBeGreaterThan(50);
  const refused: string[] = [];
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name: string; version: string; engines?: { node?: string } };
    const range = pkg.engines?.node;
    if (range && !semver.satisfies(process.version, range, { includePrerelease: true })) refused.push(`${pkg.name}@${pkg.version} (node ${range})`);
  }
  expect(refused).toEqual([]);
}, 60_000);

// Issue 26 item 5: `npm install` on Node 20 printed 45 EBADENGINE lines (9 packages). The
// development tools' dependencies that wanted Node 22 are pinned in package.json `overrides` to
// the last releases that run on Node 20 (@whatwg-node/fetch 0.10.13, sync-fetch 0.6.0, listr2
// 9.0.5). One is left: @prisma/streams-local, which every release requires Node 22 and which the
// Prisma CLI loads only for `prisma dev` (never used here).
const ACCEPTED = new Set(["@prisma/streams-local"]);

it(`locks no package (development tools included) whose engines exclude Node ${process.version}, but the accepted one`, () => {
  const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
  };
  const refused: string[] = [];
  for (const [dir, entry] of Object.entries(lock.packages)) {
    const range = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
    if (!dir || !range || semver.satisfies(process.version, range, { includePrerelease: true })) continue;
    const name = dir.slice(dir.lastIndexOf("node_modules/") + "node_modules/".length);
    if (!ACCEPTED.has(name)) refused.push(`${name}@${entry.version} (node ${range})`);
  }
  expect(refused).toEqual([]);
});
