// Issue 26.3: `scopekeeper backup FILE` and `scopekeeper restore FILE` keep every secret, key
// and grant. SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { bootstrapAdmin } from "./helpers/admin.ts";
import { runCliProcess } from "./helpers/cli.ts";
import { createTestDatabase, POSTGRES_URL } from "./helpers/database.ts";
import { clientCredentialsToken } from "./helpers/http.ts";
import { startTestServer } from "./helpers/server.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-backup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const viewer = (url: string, token: string) =>
  fetch(`${url}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ query: "{ viewer { kind } }" }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { data?: { viewer: { kind: string } } } }));

describe("backup and restore", () => {
  it("restores into an empty database: the token signed before still verifies, the secret authenticates, the grant holds", async () => {
    const source = await createTestDatabase();
    const server = await startTestServer({ database: source });
    const admin = await bootstrapAdmin(server, "Backed up");
    const kids = (server.services.keys.jwks() as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    await server.close();

    const file = path.join(dir, source.provider === "sqlite" ? "backup.db" : "backup.dump");
    const backedUp = runCliProcess(["backup", file], { DATABASE_URL: source.url });
    expect(backedUp.status, backedUp.stderr).toBe(0);
    await source.drop(); // the original is gone: only the file is left

    const target = await createTestDatabase({ migrate: false });
    const restoredRun = runCliProcess(["restore", file], { DATABASE_URL: target.url });
    expect(restoredRun.status, restoredRun.stderr).toBe(0);
    const restored = await startTestServer({ database: target });
    try {
      // Key: the token signed before the backup verifies against the restored keys (offline, as a
      // resource server does; the restored server listens on another port, so another issuer).
      const jwks = (await (await fetch(`${restored.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
      expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining(kids));
      const { protectedHeader } = await jwtVerify(admin.token, createLocalJWKSet(jwks));
      expect(kids).toContain(protectedHeader.kid);
      // Secret and grant: the same client and secret get the granted scope.
      const token = await clientCredentialsToken(restored.url, admin.clientId, admin.clientSecret, "connect.applications.manage");
      expect((await viewer(restored.url, token)).status).toBe(200);
    } finally {
      await restored.close();
      await target.drop();
    }
  }, 120_000);

  it("refuses to restore a file that is not a backup, changing nothing", async () => {
    const target = await createTestDatabase();
    try {
      const result = runCliProcess(["restore", path.join(dir, "missing.db")], { DATABASE_URL: target.url });
      expect(result.status).toBe(1);
      expect(result.lines).toEqual([expect.stringMatching(/^scopekeeper: .*missing\.db is not a file/)]);
    } finally {
      await target.drop();
    }
  });

  it.runIf(POSTGRES_URL)("says clearly that pg_dump is needed when it is not on PATH", async () => {
    const target = await createTestDatabase();
    try {
      const result = runCliProcess(["backup", path.join(dir, "x.dump")], { DATABASE_URL: target.url, PATH: "/nonexistent" });
      expect(result.status).toBe(1);
      expect(result.lines).toEqual([expect.stringMatching(/^scopekeeper: pg_dump was not found: .*install them/)]);
    } finally {
      await target.drop();
    }
  });
});
