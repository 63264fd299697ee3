// Issue 26.5: a package people can install. `npm pack` makes the tarball of this tree (built
// by `npm test` before vitest runs), it is installed into an empty folder as any user would,
// and `scopekeeper serve` starts from it on SQLite and serves its API and console.
// Offline-friendly: dependencies come from npm's cache (or the npm registry, nothing else),
// and the two native modules (better-sqlite3, argon2: C++ compiled by node-gyp, minutes of
// CPU) reuse this tree's builds of the same versions instead of compiling again.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { freePort, TEST_ARGON2_ENV } from "./helpers/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const work = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-package-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8", timeout: 240_000, env: { ...process.env, npm_config_update_notifier: "false" } });

it("packs into a tarball that installs in an empty folder and serves from there on SQLite", async () => {
  const packed = npm(["pack", "--ignore-scripts", "--pack-destination", work, "--json"], ROOT);
  const [info] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
  const files = new Set(info.files.map((f) => f.path));
  for (const needed of ["LICENSE", "CHANGELOG.md", "README.md", "package.json", "bin/scopekeeper.js", "dist/src/cli/main.js", "dist/plugins/core/index.js", "prisma/schema.prisma", "prisma/postgresql/schema.prisma", "console/dist/index.html"]) {
    expect(files.has(needed), needed).toBe(true);
  }
  expect([...files].some((f) => f.startsWith("prisma/migrations/") && f.endsWith("migration.sql"))).toBe(true);
  expect([...files].some((f) => f.startsWith("prisma/postgresql/migrations/") && f.endsWith("migration.sql"))).toBe(true);
  // Nothing of the development tree: sources, tests, source maps, databases.
  expect([...files].filter((f) => f.startsWith("src/") || f.startsWith("test/") || f.endsWith(".map") || f.endsWith(".db"))).toEqual([]);

  const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown> & { scripts: Record<string, string> };
  expect(manifest.private).toBeUndefined();
  expect(manifest.license).toBe("Apache-2.0");
  expect(manifest.bin).toEqual({ scopekeeper: "bin/scopekeeper.js" });
  expect(manifest.engines).toEqual({ node: expect.stringMatching(/^>=20/) });
  // An installed package builds nothing: the build runs at `prepare` (this tree, and `npm pack`).
  for (const hook of ["preinstall", "install", "postinstall"]) expect(manifest.scripts[hook], hook).toBeUndefined();

  const app = path.join(work, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "uses-scopekeeper", private: true }));
  npm(["install", path.join(work, info.filename), "--ignore-scripts", "--prefer-offline"], app);
  for (const native of ["better-sqlite3", "argon2"]) {
    const installed = JSON.parse(readFileSync(path.join(app, "node_modules", native, "package.json"), "utf8")) as { version: string };
    const ours = JSON.parse(readFileSync(path.join(ROOT, "node_modules", native, "package.json"), "utf8")) as { version: string };
    expect(installed.version, native).toBe(ours.version);
    cpSync(path.join(ROOT, "node_modules", native, "build"), path.join(app, "node_modules", native, "build"), { recursive: true });
  }
  expect(existsSync(path.join(app, "node_modules", ".bin", "scopekeeper"))).toBe(true);
  // Only what the package declares: no devDependency was installed.
  expect(existsSync(path.join(app, "node_modules", "typescript"))).toBe(false);

  const port = await freePort();
  const child = spawn(path.join(app, "node_modules", ".bin", "scopekeeper"), ["serve"], {
    cwd: app,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", PORT: String(port), DATABASE_URL: "file:./data/scopekeeper.db", ...TEST_ARGON2_ENV },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  try {
    const base = `http://127.0.0.1:${port}`;
    let ready = false;
    for (let i = 0; i < 300 && !ready; i++) {
      ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready, output).toBe(true);
    expect(existsSync(path.join(app, "data", "scopekeeper.db"))).toBe(true);
    const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
    expect(discovery.token_endpoint).toBe(`${base}/oauth/token`);
    const consolePage = await fetch(`${base}/console/`);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).toContain("<div id=\"root\">");
    expect(output).not.toMatch(/must exist|Error/);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}, 300_000);
