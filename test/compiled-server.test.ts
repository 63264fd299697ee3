// The `scopekeeper` command runs the build in dist/ (JavaScript from `npm install` or
// `npm run build`), and so loads hubs added at run time as JavaScript.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "bin/scopekeeper.js");

function scopekeeper(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("the compiled server", () => {
  it("is JavaScript in dist/, with the built-in hubs and the plugin contract's types", () => {
    for (const file of ["src/cli/main.js", "src/catalog/public.js", "src/catalog/public.d.ts", "plugins/core/index.js", "generated/sqlite/client.js"]) {
      expect(existsSync(path.join(ROOT, "dist", file)), file).toBe(true);
    }
  });

  it("loads a JavaScript hub from a SCOPEKEEPER_PLUGINS_DIR folder", () => {
    const result = scopekeeper(["catalog", "list", "--json"], { SCOPEKEEPER_PLUGINS_DIR: "test/fixtures/plugins-js" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const { hubs } = JSON.parse(result.stdout) as { hubs: { id: string; scopes: { name: string }[] }[] };
    expect(hubs.map((h) => h.id)).toEqual(["connect", "invoices"]);
    expect(hubs[1]!.scopes.map((s) => s.name)).toEqual(["invoices.runs.read"]);
  });

  it("loads a JavaScript hub named in SCOPEKEEPER_PLUGINS next to the built-in ones", () => {
    const result = scopekeeper(["catalog", "list", "--json"], { SCOPEKEEPER_PLUGINS: "./test/fixtures/plugins-js/invoices/index.js" });
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { hubs: { id: string }[] }).hubs.map((h) => h.id)).toEqual(["connect", "conversation", "core", "invoices", "knowledge"]);
  });

  it("refuses a hub folder that holds TypeScript only, saying to compile it", () => {
    const result = scopekeeper(["catalog", "check"], { SCOPEKEEPER_PLUGINS_DIR: "test/fixtures/plugins/valid" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("test/fixtures/plugins/valid/alpha: has index.ts but no index.js: the server runs JavaScript, so compile the hub first");
  });
});
