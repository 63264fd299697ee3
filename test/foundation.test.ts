// Foundation: the server starts over SQLite and PostgreSQL, publishes its metadata and keys,
// rotates keys without dropping the old one, and refuses bad configuration.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliInProcess } from "./helpers/cli.ts";
import { createTestDatabase, POSTGRES_URL } from "./helpers/database.ts";
import { freePort, startTestServer, TEST_ARGON2_ENV, type TestServer } from "./helpers/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "bin/scopekeeper.js");

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...TEST_ARGON2_ENV, ...extra };
  return env;
}

async function waitFor(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A document's JSON, or an error naming the request that got no answer within 10 s. */
async function getJson(url: string): Promise<any> {
  try {
    return await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).json();
  } catch (err) {
    throw new Error(`GET ${url}: ${(err as Error).message}`);
  }
}

async function expectServedDocuments(url: string) {
  expect(await getJson(`${url}/healthz`)).toEqual({ status: "ok" });
  expect(await getJson(`${url}/readyz`)).toEqual({ status: "ready" });
  const metadata = (await getJson(`${url}/.well-known/oauth-authorization-server`)) as Record<string, unknown>;
  expect(metadata.issuer).toBe(url);
  expect(metadata.token_endpoint).toBe(`${url}/oauth/token`);
  expect(metadata.jwks_uri).toBe(`${url}/.well-known/jwks.json`);
  expect(metadata.grant_types_supported).toContain("client_credentials");
  const oidc = (await getJson(`${url}/.well-known/openid-configuration`)) as Record<string, unknown>;
  expect(oidc.issuer).toBe(url);
  expect(oidc.id_token_signing_alg_values_supported).toEqual(["ES256"]);
  const jwks = (await getJson(`${url}/.well-known/jwks.json`)) as JSONWebKeySet;
  expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
  for (const key of jwks.keys) {
    expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(key.kid).toEqual(expect.any(String));
    expect(key).not.toHaveProperty("d");
  }
  return jwks;
}

describe("scopekeeper serve over a fresh SQLite file", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-serve-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("creates the database, migrates it and answers health, readiness, metadata and JWKS", async () => {
    const port = await freePort();
    const dbFile = path.join(dir, "nested", "scopekeeper.db");
    const child = spawn(process.execPath, [CLI, "serve"], {
      env: cleanEnv({ PORT: String(port), DATABASE_URL: `file:${dbFile}`, LOG_LEVEL: "warn", NODE_ENV: "development" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    try {
      const started = Date.now();
      await waitFor(`http://127.0.0.1:${port}/readyz`, 30_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${stderr}`);
      });
      console.log(`scopekeeper serve: ready in ${Date.now() - started} ms`);
      await expectServedDocuments(`http://127.0.0.1:${port}`).catch((e: Error) => {
        throw new Error(`${e.message}\nthe server's stderr:\n${stderr}`);
      });
      expect(readFileSync(dbFile).subarray(0, 15).toString()).toBe("SQLite format 3");
      // GraphiQL is served to browsers outside production.
      const page = await fetch(`http://127.0.0.1:${port}/graphql`, { headers: { accept: "text/html" }, signal: AbortSignal.timeout(10_000) });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("GraphiQL");
    } finally {
      // SIGTERM drains for up to SHUTDOWN_TIMEOUT_MS (10 s); a process still there after 15 s
      // is ended, and the test says so rather than timing out without a word.
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(kill);
      expect(child.signalCode, `serve did not exit on SIGTERM within 15 s\n${stderr}`).not.toBe("SIGKILL");
    }
  }, 60_000);
});

describe.runIf(POSTGRES_URL)("server over PostgreSQL", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database: await createTestDatabase({ provider: "postgresql" }) });
  });
  afterAll(async () => {
    await server?.close();
    await server?.database.drop();
  });

  it("answers health, readiness, metadata and JWKS", async () => {
    expect(server.services.provider).toBe("postgresql");
    await expectServedDocuments(server.url);
  });
});

describe("signing keys", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it("keeps the old kid published after a rotation and signs with the new one", async () => {
    const before = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const oldKid = server.services.keys.activeKid;
    const oldToken = await server.services.keys.signJwt({ iss: server.url, sub: "x", exp: Math.floor(Date.now() / 1000) + 60 }, "at+jwt");

    // Rotate from another process, as an operator would.
    const rotated = spawnSync(process.execPath, [CLI, "keys", "rotate"], {
      env: cleanEnv({ DATABASE_URL: server.database.url, NODE_ENV: "test" }),
      encoding: "utf8",
    });
    expect(rotated.stderr).toBe("");
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/^active signing key: \S+; still published until their tokens expire: /);

    await server.services.keys.reload();
    const after = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const kids = after.keys.map((k) => k.kid);
    expect(kids).toContain(oldKid);
    expect(after.keys.length).toBe(before.keys.length + 1);
    expect(server.services.keys.activeKid).not.toBe(oldKid);

    // Tokens signed before and after the rotation both verify against the published set.
    const newToken = await server.services.keys.signJwt({ iss: server.url, sub: "y", exp: Math.floor(Date.now() / 1000) + 60 }, "at+jwt");
    const set = createLocalJWKSet(after);
    expect((await jwtVerify(oldToken, set)).protectedHeader.kid).toBe(oldKid);
    expect((await jwtVerify(newToken, set)).protectedHeader.kid).toBe(server.services.keys.activeKid);
  });

  it("stores private keys encrypted when SCOPEKEEPER_KEY_ENCRYPTION_SECRET is set", async () => {
    const secret = "a".repeat(40);
    const other = await startTestServer({ env: { SCOPEKEEPER_KEY_ENCRYPTION_SECRET: secret } });
    try {
      const rows = await other.services.db.signingKey.findMany();
      expect(rows.length).toBe(1);
      expect(rows[0]!.encrypted).toBe(true);
      expect(rows[0]!.privateKey).not.toContain("PRIVATE KEY");
    } finally {
      await other.close();
    }
  });
});

describe("configuration", () => {
  for (const [name, value] of [
    ["PORT", "not-a-port"],
    ["PORT", "0"],
    ["DATABASE_URL", "mysql://localhost/x"],
    ["ISSUER", "ftp://example.com"],
    ["LOG_LEVEL", "loud"],
  ] as const) {
    it(`stops start-up with one line naming ${name} when it is ${JSON.stringify(value)}`, async () => {
      const result = await runCliInProcess(["serve"], { [name]: value });
      expect(result.status).toBe(1);
      expect(result.lines).toHaveLength(1);
      expect(result.lines[0]).toContain(`Invalid configuration: ${name}`);
    });
  }
});

describe("command line", () => {
  it("prints help for the program and for each command", async () => {
    for (const args of [["--help"], ["serve", "--help"], ["migrate", "--help"], ["keys", "--help"], ["bootstrap", "--help"], ["catalog", "--help"]]) {
      const result = await runCliInProcess(args);
      expect(result.status, args.join(" ")).toBe(0);
      expect(result.stdout).toMatch(/Usage: scopekeeper/);
    }
    const unknown = await runCliInProcess(["frobnicate"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("unknown command");
  });

  it("warns loudly outside development when signing keys would be stored unencrypted", async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-warn-"));
    const child = spawn(process.execPath, [CLI, "serve"], {
      env: cleanEnv({ PORT: String(port), DATABASE_URL: `file:${dir}/w.db`, NODE_ENV: "production", LOG_LEVEL: "warn" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    try {
      await waitFor(`http://127.0.0.1:${port}/readyz`, 30_000);
      expect(output).toContain("SCOPEKEEPER_KEY_ENCRYPTION_SECRET is not set");
      // No GraphiQL in production.
      const page = await fetch(`http://127.0.0.1:${port}/graphql`, { headers: { accept: "text/html" } });
      expect(await page.text()).not.toContain("GraphiQL");
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("schema:check", () => {
  it("passes on the checked-in schema.graphql and fails on a stale copy", () => {
    const tsx = path.join(ROOT, "node_modules/.bin/tsx");
    const script = path.join(ROOT, "scripts/print-schema.ts");
    const ok = spawnSync(tsx, [script, "--check"], { cwd: ROOT, encoding: "utf8" });
    expect(ok.status, ok.stderr).toBe(0);

    const dir = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-schema-"));
    try {
      const stale = path.join(dir, "schema.graphql");
      copyFileSync(path.join(ROOT, "schema.graphql"), stale);
      writeFileSync(stale, readFileSync(stale, "utf8").replace("clientId: String!", "clientIdentifier: String!"));
      const bad = spawnSync(tsx, [script, "--check", "--file", stale], { cwd: ROOT, encoding: "utf8" });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain("schema.graphql is stale");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
