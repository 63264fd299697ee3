// The systemd unit and the environment file of docs/operations.md: the unit passes
// `systemd-analyze verify` (where systemd-analyze is installed; skipped otherwise, saying so),
// and the environment file is a configuration the server accepts as it stands.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { loadConfig } from "../src/config/index.ts";
import { readEnvFile } from "./helpers/env-file.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const UNIT = path.join(ROOT, "docs/scopekeeper@.service");
const ENV_FILE = path.join(ROOT, "docs/scopekeeper.env");
const hasSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;
if (!hasSystemdAnalyze) console.warn("test/production-files.test.ts: systemd-analyze is not installed, so docs/scopekeeper@.service is not verified (apt-get install -y systemd)");

it.runIf(hasSystemdAnalyze)("docs/scopekeeper@.service passes systemd-analyze verify without a warning", () => {
  // A template is verified through an instance: scopekeeper@4000, as the docs enable it.
  const dir = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-unit-"));
  try {
    const instance = path.join(dir, "scopekeeper@4000.service");
    copyFileSync(UNIT, instance);
    const result = spawnSync("systemd-analyze", ["verify", "--man=no", instance], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr.trim()).toBe("");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it("the unit reads the environment file, takes its port from the instance and runs the installed package's serve", () => {
  const unit = readFileSync(UNIT, "utf8");
  expect(unit).toMatch(/^EnvironmentFile=\/etc\/scopekeeper\/scopekeeper\.env$/m);
  expect(unit).toMatch(/^Environment=PORT=%i$/m);
  expect(unit).toMatch(/^ExecStart=\S+ \/opt\/scopekeeper\/node_modules\/scopekeeper\/bin\/scopekeeper\.js serve$/m);
  expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
});

it("docs/scopekeeper.env is a production configuration the server accepts, naming only variables it knows", () => {
  const env = readEnvFile(ENV_FILE);
  const config = loadConfig({ ...env, PORT: "4000" });
  expect(config).toMatchObject({ env: "production", issuer: "https://auth.example.com", host: "127.0.0.1", trustProxy: "127.0.0.1", port: 4000 });
  expect(config.databaseUrl).toMatch(/^postgresql:\/\//);
  const known = readFileSync(path.join(ROOT, "src/config/index.ts"), "utf8");
  for (const name of Object.keys(env)) expect(known, `${name} is not a variable src/config reads`).toMatch(new RegExp(`\\b${name}\\b`));
});
