// Issue 16.5 (second half): SIGTERM drains. The compiled server, as a child process, gets
// SIGTERM while requests are in flight: those finish, new connections are refused, and the
// process exits within SHUTDOWN_TIMEOUT_MS even when a client never finishes its request.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "./helpers/database.ts";
import { sqliteFilePath } from "../src/db/url.ts";
import { freePort, TEST_ARGON2_ENV } from "./helpers/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "bin/scopekeeper.js");

let database: TestDatabase;
let credentials: { clientId: string; clientSecret: string };

function env(extra: Record<string, string>) {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", DATABASE_URL: database.url, ...TEST_ARGON2_ENV, ...extra };
}

beforeAll(async () => {
  database = await createTestDatabase();
  const result = spawnSync(process.execPath, [CLI, "bootstrap", "--org", "Drain", "--json"], { cwd: ROOT, env: env({}), encoding: "utf8", timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  credentials = JSON.parse(result.stdout) as typeof credentials;
});
afterAll(async () => database?.drop());

interface Child {
  process: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; at: number }>;
  output: () => string;
}

async function startChild(extra: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "serve"], { cwd: ROOT, env: env({ PORT: String(port), LOG_LEVEL: "info", ...extra }) });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on("exit", (code) => resolve({ code, at: Date.now() })));
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (up) return { process: child, port, exited, output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`server did not start: ${output}`);
}

/** A token request whose body arrives in two parts: in flight from the first byte until the last. */
async function slowTokenRequest(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((r) => socket.once("connect", r));
  let received = "";
  socket.on("data", (c: Buffer) => (received += c.toString()));
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  socket.on("error", () => undefined);
  const body = "grant_type=client_credentials&scope=connect.applications.read";
  const auth = Buffer.from(`${credentials.clientId}:${encodeURIComponent(credentials.clientSecret)}`).toString("base64");
  socket.write(
    `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Basic ${auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
  );
  return {
    finish: () => socket.write(body.slice(10)),
    closed,
    received: () => received,
    destroy: () => socket.destroy(),
  };
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

describe("SIGTERM", () => {
  it("lets requests in flight finish, refuses new connections, then exits 0", async () => {
    const child = await startChild({ SHUTDOWN_TIMEOUT_MS: "10000" });
    const slow = [await slowTokenRequest(child.port), await slowTokenRequest(child.port)];
    await new Promise((r) => setTimeout(r, 300)); // routed, waiting for the rest of their bodies
    // An idle keep-alive connection must not hold the shutdown up.
    const idle = await fetch(`http://127.0.0.1:${child.port}/healthz`);
    expect(idle.status).toBe(200);
    const signalled = Date.now();
    child.process.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    expect(await connectionRefused(child.port)).toBe(true);
    expect(child.process.exitCode).toBeNull(); // still draining
    for (const request of slow) request.finish();
    await Promise.all(slow.map((s) => Promise.race([s.closed, new Promise((r) => setTimeout(r, 5000))])));
    for (const request of slow) {
      expect(request.received()).toMatch(/^HTTP\/1.1 200/);
      expect(request.received()).toContain('"access_token"');
    }
    const { code, at } = await child.exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(10_000); // exit code 0: drained before SHUTDOWN_TIMEOUT_MS
    expect(child.output()).toContain("SIGTERM: shutting down");
  });

  it("exits within SHUTDOWN_TIMEOUT_MS when a client never finishes its request", async () => {
    const child = await startChild({ SHUTDOWN_TIMEOUT_MS: "1500" });
    const stuck = await slowTokenRequest(child.port);
    await new Promise((r) => setTimeout(r, 300)); // routed, waiting for the rest of its body
    const signalled = Date.now();
    child.process.kill("SIGTERM");
    const { code, at } = await child.exited;
    stuck.destroy();
    expect(code, child.output()).toBe(1);
    expect(at - signalled).toBeGreaterThanOrEqual(1400);
    expect(at - signalled).toBeLessThan(6000);
    expect(child.output()).toContain("requests still in flight after 1500 ms");
  });
});

/** The admin secret's lastUsedAt as the database holds it (SQLite: read beside the server). */
function lastUsedAt(): unknown {
  const db = new Database(sqliteFilePath(database.url), { readonly: true });
  try {
    const secretId = /^sk_([^_]+)_/.exec(credentials.clientSecret)![1]!;
    const rows = db.prepare("SELECT lastUsedAt FROM ClientSecret").all() as { lastUsedAt: unknown }[];
    expect(rows.length, secretId).toBeGreaterThan(0);
    return rows.find((r) => r.lastUsedAt !== null)?.lastUsedAt ?? null;
  } finally {
    db.close();
  }
}

async function tokenRequest(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${credentials.clientId}:${encodeURIComponent(credentials.clientSecret)}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials&scope=connect.applications.read",
  });
  await response.arrayBuffer();
  return response.status;
}

describe("what SIGTERM keeps", () => {
  // Read and reset beside the server in its SQLite file; the batching itself does not depend on the database.
  it.skipIf(POSTGRES_URL !== undefined)("writes the secrets' lastUsedAt gathered since the last batch before it exits", async () => {
    // The tests above used the same secret and wrote its lastUsedAt as they exited: start clean.
    const db = new Database(sqliteFilePath(database.url));
    db.prepare("UPDATE ClientSecret SET lastUsedAt = NULL").run();
    db.close();
    const child = await startChild({});
    expect(await tokenRequest(child.port)).toBe(200);
    // Batched every 30 s: nothing is written yet.
    expect(lastUsedAt()).toBeNull();
    child.process.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
    expect(lastUsedAt()).not.toBeNull();
  }, 60_000);
});

describe("one serve per SQLite file", () => {
  it.skipIf(POSTGRES_URL !== undefined)("refuses a second serve on the same file with one line saying to use PostgreSQL, and starts again after the first was killed", async () => {
    const first = await startChild({});
    try {
      const port = await freePort();
      const second = spawnSync(process.execPath, [CLI, "serve"], { cwd: ROOT, env: env({ PORT: String(port) }), encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" });
      const lines = second.stderr.trim().split("\n").filter(Boolean);
      expect(lines, second.stderr).toHaveLength(1);
      expect(second.status).toBe(1);
      expect(lines[0]).toMatch(/^scopekeeper: another scopekeeper serve is already using SQLite database .*: .*use PostgreSQL .* for several processes$/);
      expect(await fetch(`http://127.0.0.1:${port}/healthz`).then(() => "up", () => "down")).toBe("down");
    } finally {
      // A crash leaves no stale lock: the operating system drops it with the process.
      first.process.kill("SIGKILL");
      await first.exited;
    }
    const third = await startChild({});
    expect((await fetch(`http://127.0.0.1:${third.port}/healthz`)).status).toBe(200);
    third.process.kill("SIGTERM");
    expect((await third.exited).code).toBe(0);
  }, 90_000);
});
