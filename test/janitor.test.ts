// Expired codes, sessions, refresh tokens and revocation entries are swept; live ones stay.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JANITOR_LOCK_SQL, sweepExpired, sweepOnce } from "../src/db/janitor.ts";
import { POSTGRES_URL } from "./helpers/database.ts";
import { bootstrapAdmin } from "./helpers/admin.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

it("deletes what has expired and keeps what has not", async () => {
  const admin = await bootstrapAdmin(server, "Sweep");
  const user = await createUser(server, admin.organizationDbId, "sweep@acme.test");
  const { db } = server.services;
  const app = await db.connectApplication.findFirstOrThrow();
  const old = new Date(Date.now() - 3 * 24 * 3600 * 1000);
  const future = new Date(Date.now() + 3600 * 1000);
  const code = (expiresAt: Date, tag: string) => ({
    codeHash: `hash-${tag}`, applicationId: app.id, userId: user.id, redirectUri: "https://x.example.test/cb", redirectUriGiven: true, scopes: "openid", authTime: new Date(), expiresAt,
  });
  await db.authorizationCode.createMany({ data: [code(old, "old"), code(future, "new")] });
  await db.session.createMany({ data: [{ tokenHash: "s-old", userId: user.id, expiresAt: old }, { tokenHash: "s-new", userId: user.id, expiresAt: future }] });
  await db.revokedAccessToken.createMany({ data: [{ jti: "j-old", expiresAt: old }, { jti: "j-new", expiresAt: future }] });
  expect(await sweepExpired(db)).toBe(3);
  expect((await db.authorizationCode.findMany()).map((c) => c.codeHash)).toEqual(["hash-new"]);
  expect((await db.session.findMany()).map((s) => s.tokenHash)).toEqual(["s-new"]);
  expect((await db.revokedAccessToken.findMany()).map((r) => r.jti)).toEqual(["j-new"]);
});

describe.runIf(POSTGRES_URL)("on PostgreSQL, several processes", () => {
  it("sweeps in one process at a time: while another holds the janitor's advisory lock a sweep skips and deletes nothing", async () => {
    const { db, provider } = server.services;
    const old = new Date(Date.now() - 3 * 24 * 3600 * 1000);
    await db.revokedAccessToken.create({ data: { jti: "j-locked", expiresAt: old } });
    // Another process's sweep, in progress: its own connection holding the lock in a transaction.
    const other = new pg.Client({ connectionString: server.database.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      expect((await other.query(JANITOR_LOCK_SQL)).rows[0].locked).toBe(true);
      expect(await sweepOnce(db, provider)).toBe("skipped");
      expect(await db.revokedAccessToken.count({ where: { jti: "j-locked" } })).toBe(1);
      await other.query("COMMIT"); // the other sweep is over: the lock goes with its transaction
      expect(await sweepOnce(db, provider)).toBe(1);
      expect(await db.revokedAccessToken.count({ where: { jti: "j-locked" } })).toBe(0);
    } finally {
      await other.end();
    }
  });
});
