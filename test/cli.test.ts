// The command line as a newcomer meets it: every mistake of the first hour ends in one line on
// stderr that names the cause and the next step, and a non-zero exit. Most cases run the
// command line in this process (runCliInProcess: the binary's own entry point, minus Node's
// start-up); the program itself, bootstrap, user, pkce and `serve` also run once each as a real
// `scopekeeper` process (the README test runs them in process, and demo-idp as a real one).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoIdentityProvider } from "../src/cli/commands/demo-idp.ts";
import { CLI, cliEnv, runCliInProcess, runCliProcess, type CliResult } from "./helpers/cli.ts";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "./helpers/database.ts";
import { freePort } from "./helpers/server.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-cli-"));
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** In this process, against this file's database unless env says otherwise. */
const run = (args: string[], env: Record<string, string> = {}) => runCliInProcess(args, { DATABASE_URL: database.url, ...env });
/** As a new `scopekeeper` process. */
const spawnCli = (args: string[], env: Record<string, string> = {}) => runCliProcess(args, { DATABASE_URL: database.url, ...env });

/** Exactly one line on stderr, `scopekeeper: ...`, and exit code 1. */
function expectOneLine(result: CliResult, ...parts: string[]) {
  expect(result.lines, result.stderr).toHaveLength(1);
  expect(result.status).toBe(1);
  for (const part of parts) expect(result.lines[0]).toContain(part);
  expect(result.lines[0]).toMatch(/^scopekeeper: /);
}

function orgIdFrom(envLine: string): string {
  return /ORG='(org_[^']+)'/.exec(envLine)![1]!;
}

describe("the program", () => {
  it("prints its version, as a real process", () => {
    const result = spawnCli(["--version"]);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("suggests the command meant by a typo", async () => {
    expectOneLine(await run(["serv"]), 'unknown command "serv"', "did you mean serve?");
  });

  it("prints full help with examples for every command", async () => {
    for (const command of ["serve", "migrate", "bootstrap", "user", "admin", "keys", "catalog", "pkce", "demo-idp"]) {
      const result = await run([command, "--help"]);
      expect(result.status, command).toBe(0);
      expect(result.stdout, command).toMatch(/Usage: scopekeeper/);
      expect(result.stdout, command).toMatch(/Examples?:/);
    }
    const user = (await run(["user", "--help"])).stdout;
    expect(user).toContain("user add --org ID");
    expect(user).toContain("user remove --org ID --email EMAIL");
  });

  it("prints PKCE values for eval, as a real process", () => {
    const result = spawnCli(["pkce"]);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^export VERIFIER=[\w-]{43} CHALLENGE=[\w-]{43} STATE=[\w-]+ NONCE=[\w-]+$/);
  });
});

describe("options", () => {
  it("says what --org takes when its value is missing", async () => {
    expectOneLine(await run(["bootstrap", "--org"]), "--org needs a value", "NAME");
  });

  it("suggests --password for --pasword", async () => {
    expectOneLine(await run(["user", "add", "--org", "org_x", "--email", "a@b.test", "--pasword", "12345678", "--role", "MEMBER"]), "unknown option --pasword", "did you mean --password?");
  });
});

describe("bootstrap, users and the admin secret", () => {
  let org = "";

  it("prints shell assignments for eval with --env, as a real process", () => {
    const result = spawnCli(["bootstrap", "--org", "Acme", "--env"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^export ORG='org_[a-z0-9]+' ADMIN_ID='[\w-]+' ADMIN_SECRET='sk_[0-9a-f]+_[\w-]+'$/);
    org = orgIdFrom(result.stdout);
  });

  it("answers a second bootstrap of the same name with the id and the way to a new secret", async () => {
    expectOneLine(await run(["bootstrap", "--org", "Acme"]), "already exists", org, `scopekeeper admin reset-secret --org ${org}`);
  });

  it("says --org wants the id, not the name, and gives the id", async () => {
    expectOneLine(await run(["user", "add", "--org", "Acme", "--email", "a@acme.test", "--password", "a long password", "--role", "MEMBER"]), "--org takes the organization id printed by bootstrap (org_...), not its name", org);
  });

  it("accepts roles in any case, refuses to overwrite a password silently, and resets it when asked (the first as a real process)", async () => {
    const added = spawnCli(["user", "add", "--org", org, "--email", "alice@acme.test", "--password", "a long password", "--role", "member"]);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toContain("added alice@acme.test as MEMBER of Acme");
    expectOneLine(await run(["user", "add", "--org", org, "--email", "alice@acme.test", "--password", "another password", "--role", "admin"]), "already has an account", "--reset-password");
    const reset = await run(["user", "add", "--org", org, "--email", "alice@acme.test", "--password", "another password", "--role", "admin", "--reset-password"]);
    expect(reset.status, reset.stderr).toBe(0);
    expect(reset.stdout).toContain("alice@acme.test is ADMIN of Acme; password replaced");
    expectOneLine(await run(["user", "add", "--org", org, "--email", "bob@acme.test", "--password", "a long password", "--role", "owner"]), "--role must be ADMIN or MEMBER");
  });

  it("removes a membership", async () => {
    const removed = await run(["user", "remove", "--org", org, "--email", "alice@acme.test"]);
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout).toContain("removed alice@acme.test from Acme");
    expectOneLine(await run(["user", "remove", "--org", org, "--email", "alice@acme.test"]), "is not a member of Acme");
  });

  it("issues a new admin secret, names the old ones it leaves active, and refuses an unknown id", async () => {
    const first = await run(["admin", "reset-secret", "--org", org, "--json"]);
    expect(first.status, first.stderr).toBe(0);
    const creds = JSON.parse(first.stdout) as { organizationId: string; clientId: string; clientSecret: string };
    expect(creds.organizationId).toBe(org);
    expect(first.stderr).toContain("Older secrets of this app are still active: sec_");
    expect(first.stderr).toContain("revokeClientSecret");
    expectOneLine(await run(["admin", "reset-secret", "--org", "org_doesnotexist"]), "no organization has the id org_doesnotexist");
  });
});

describe("demo-idp", () => {
  it("mints tokens that verify against its published keys, for the audience asked", async () => {
    const idp = await startDemoIdentityProvider({ host: "127.0.0.1", port: 0 });
    try {
      const metadata = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
      expect(metadata.issuer).toBe(idp.issuer);
      const keys = createRemoteJWKSet(new URL(metadata.jwks_uri));
      const res = await fetch(`${idp.issuer}/token`, { method: "POST", body: new URLSearchParams({ sub: "00u-alice", email: "alice@example.com", aud: "api://x", ttl: "60" }) });
      expect(res.status).toBe(200);
      const minted = (await res.json()) as { id_token: string; access_token: string; expires_in: number };
      expect(minted.expires_in).toBe(60);
      for (const token of [minted.id_token, minted.access_token]) {
        const { payload } = await jwtVerify(token, keys, { issuer: idp.issuer, audience: "api://x" });
        expect(payload).toMatchObject({ sub: "00u-alice", email: "alice@example.com", email_verified: true });
        expect(payload.exp! - payload.iat!).toBe(60);
      }
      const refused = await fetch(`${idp.issuer}/token`, { method: "POST", body: new URLSearchParams({ sub: "00u-alice" }) });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("aud is required") });
      expect((await fetch(`${idp.issuer}/token`, { method: "POST", body: "sub=a&aud=b&ttl=99999" })).status).toBe(400);
    } finally {
      await idp.close();
    }
  });

  it("listens only on a loopback address, and names a port in use, each in one line", async () => {
    expectOneLine(await run(["demo-idp", "--host", "0.0.0.0"]), "--host must be a loopback address");
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    try {
      expectOneLine(await run(["demo-idp", "--port", String((blocker.address() as net.AddressInfo).port)]), "is in use", "--port");
    } finally {
      blocker.close();
    }
  });
});

describe("start-up failures", () => {
  it("names the port in use and says to set PORT, as a real process", async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const result = await new Promise<CliResult>((resolve) => {
        // Asynchronous: the blocker above must keep answering while the child starts.
        execFile(process.execPath, [CLI, "serve"], { env: cliEnv({ PORT: String(port), DATABASE_URL: `file:${path.join(dir, "port.db")}` }), timeout: 60_000 }, (error, stdout, stderr) =>
          resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, lines: stderr.trim().split("\n").filter(Boolean) }),
        );
      });
      expectOneLine(result, `port ${port} is in use: set PORT`);
    } finally {
      blocker.close();
    }
  });

  it("names an unwritable SQLite path", async () => {
    const notADirectory = path.join(dir, "a-file");
    writeFileSync(notADirectory, "");
    for (const command of [["serve"], ["bootstrap", "--org", "X"]]) {
      expectOneLine(await run(command, { DATABASE_URL: `file:${notADirectory}/x.db` }), "cannot write SQLite database", "DATABASE_URL");
    }
  });

  it("names a folder given as the SQLite file, and says to name a file in it", async () => {
    const folder = path.join(dir, "a-folder.db");
    mkdirSync(folder, { recursive: true });
    for (const command of [["serve"], ["bootstrap", "--org", "X"], ["migrate"]]) {
      expectOneLine(await run(command, { DATABASE_URL: `file:${folder}` }), `SQLite database ${folder}: it is a folder`, `file:${path.join(folder, "scopekeeper.db")}`);
    }
  });

  it("refuses SQLite paths under /sys and /proc (kernel file systems, not disks) with one line, at once", async () => {
    for (const file of ["/sys/kernel/scopekeeper.db", "/proc/scopekeeper.db", "/proc/self/fd/scopekeeper.db", "/proc/sys/kernel/scopekeeper.db"]) {
      const started = Date.now();
      const result = await run(["serve"], { DATABASE_URL: `file:${file}` });
      expectOneLine(result, `SQLite database ${file}`, file.startsWith("/sys") ? "on /sys" : "on /proc", "choose another path in DATABASE_URL");
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it("names an unreachable PostgreSQL server", async () => {
    expectOneLine(await run(["serve"], { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/scopekeeper" }), "cannot reach PostgreSQL database postgres@127.0.0.1:1/scopekeeper", "is PostgreSQL running");
  });
});

describe.runIf(POSTGRES_URL)("PostgreSQL start-up failures", () => {
  let empty: TestDatabase;
  beforeAll(async () => {
    empty = await createTestDatabase({ provider: "postgresql", migrate: false });
  });
  afterAll(async () => empty?.drop());

  it("says to run migrate on serve and bootstrap when the database is not migrated", async () => {
    for (const command of [["serve"], ["bootstrap", "--org", "Acme"]]) {
      expectOneLine(await run(command, { DATABASE_URL: empty.url }), "is not migrated: run `scopekeeper migrate`");
    }
  });

  it("names a missing database and refused credentials, never the password", async () => {
    const missing = new URL(empty.url);
    missing.pathname = "/scopekeeper_no_such_database";
    expectOneLine(await run(["serve"], { DATABASE_URL: missing.toString() }), "does not exist: create it");
    // Trust authentication accepts any password, so the refused credential is an unknown role.
    const wrong = new URL(empty.url);
    wrong.username = "scopekeeper_no_such_role";
    wrong.password = "wrong-password";
    const result = await run(["serve"], { DATABASE_URL: wrong.toString() });
    expectOneLine(result, "refused the credentials: check the user name and password in DATABASE_URL");
    expect(result.stderr).not.toContain("wrong-password");
  });
});
