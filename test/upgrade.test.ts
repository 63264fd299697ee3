// Upgrades in place (DESIGN "migrations only move forward, and a database of the previous
// release upgrades in place"), and `scopekeeper migrate --status`. The previous release is
// 0.1.0 (CHANGELOG.md): its schema is the migrations up to 20261130055207_publication. A
// database made with exactly those migrations is filled the way 0.1.0 wrote its rows (an
// operator organization and an ADMIN, an M2M app with a secret and an APPLICATION grant, a web
// app with a secret, DELEGATED grants, a consent and a refresh token, a signing key that signed
// a token), then `scopekeeper migrate` brings it to this version and a server on it finds every
// secret authenticating, every key verifying and every grant holding. On SQLite, and on
// PostgreSQL when DATABASE_URL names one.
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/auth/users.ts";
import { createDb } from "../src/db/client.ts";
import { migrateDatabase, migrationsDirFor } from "../src/db/migrate.ts";
import { argon2Hash, formatSecret, secretHint } from "../src/crypto/secrets.ts";
import { randomId, sha256 } from "../src/crypto/random.ts";
import { SigningKeys } from "../src/crypto/signing-keys.ts";
import { runCliInProcess } from "./helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, TEST_ARGON2_ENV, type TestServer } from "./helpers/server.ts";

/**
 * An id as 0.1.0 made them (Prisma's cuid(): letters and digits). A base64url id would hold "_"
 * about one time in three, which no public id (`usr_...`) may contain.
 */
const cuidLike = () => `c${randomBytes(12).toString("hex")}`;

/** The last migration of release 0.1.0 (CHANGELOG.md). */
const PREVIOUS_RELEASE_LAST_MIGRATION = "20261130055207_publication";
const KEY_SECRET = "upgrade-test-key-encryption-secret-0123456789";
const ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

let database: TestDatabase;
let releaseDir: string;
let env: Record<string, string>;

function migrationNames(provider: "sqlite" | "postgresql"): string[] {
  return readdirSync(migrationsDirFor(provider), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  env = { DATABASE_URL: database.url, SCOPEKEEPER_KEY_ENCRYPTION_SECRET: KEY_SECRET, LOG_LEVEL: "silent" };
  // The previous release's migrations folder: this one's, up to its last migration.
  const source = migrationsDirFor(database.provider);
  releaseDir = path.join(os.tmpdir(), `scopekeeper-release-0.1.0-${randomBytes(4).toString("hex")}`);
  mkdirSync(releaseDir, { recursive: true });
  cpSync(path.join(source, "migration_lock.toml"), path.join(releaseDir, "migration_lock.toml"));
  for (const name of migrationNames(database.provider).filter((n) => n <= PREVIOUS_RELEASE_LAST_MIGRATION)) {
    cpSync(path.join(source, name), path.join(releaseDir, name), { recursive: true });
  }
});
afterAll(async () => {
  rmSync(releaseDir, { recursive: true, force: true });
  await database?.drop();
});

describe("scopekeeper migrate --status", () => {
  it("lists every migration as pending on a new database, with exit code 1 and one line saying to migrate", async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const res = await runCliInProcess(["migrate", "--status"], { DATABASE_URL: fresh.url });
      expect(res.status).toBe(1);
      expect(res.stdout.trim().split("\n")).toEqual(migrationNames(fresh.provider).map((n) => `pending  ${n}`));
      expect(res.lines).toHaveLength(1);
      expect(res.lines[0]).toMatch(new RegExp(`has ${migrationNames(fresh.provider).length} pending migration\\(s\\): run \`scopekeeper migrate\``));
    } finally {
      await fresh.drop();
    }
  });

  it("names migrations from a newer release and exits 1, saying to upgrade Scopekeeper", async () => {
    const newer = await createTestDatabase();
    const { db } = await createDb(newer.url);
    try {
      await db.$executeRawUnsafe(
        `INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "started_at", "finished_at", "applied_steps_count") VALUES ('x', 'x', '29990101000000_from_the_future', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)`,
      );
    } finally {
      await db.$disconnect();
    }
    try {
      const res = await runCliInProcess(["migrate", "--status"], { DATABASE_URL: newer.url });
      expect(res.status).toBe(1);
      expect(res.stdout).toContain("unknown  29990101000000_from_the_future");
      expect(res.lines).toEqual([expect.stringMatching(/has 1 migration\(s\) this version does not know \(a newer release's\): upgrade Scopekeeper/)]);
    } finally {
      await newer.drop();
    }
  });

  it("refuses an unknown option in one line", async () => {
    const res = await runCliInProcess(["migrate", "--stats"], { DATABASE_URL: database.url });
    expect(res.status).toBe(1);
    expect(res.lines).toHaveLength(1);
    expect(res.lines[0]).toMatch(/--status/);
  });
});

describe("a database of release 0.1.0, upgraded in place", () => {
  const made = {
    m2m: { clientId: "", secret: "" },
    web: { clientId: "", secret: "" },
    refreshToken: "",
    kid: "",
    signedBefore: "",
  };
  let server: TestServer;

  beforeAll(async () => {
    const { applied } = await migrateDatabase(database.url, { migrationsDir: releaseDir });
    expect(applied.at(-1)).toBe(PREVIOUS_RELEASE_LAST_MIGRATION);

    // Rows as 0.1.0 wrote them: only its columns (createMany sends no RETURNING of newer ones).
    const { db } = await createDb(database.url);
    try {
      const orgId = cuidLike();
      const userId = cuidLike();
      // Raw where this version added a column with a default (createMany would send it: requireMfa).
      const orgSql =
        database.provider === "sqlite"
          ? `INSERT INTO "Organization" ("id", "name", "isOperator") VALUES (?, ?, true)`
          : `INSERT INTO "Organization" ("id", "name", "isOperator") VALUES ($1, $2, true)`;
      await db.$executeRawUnsafe(orgSql, orgId, "Legacy");
      await db.user.createMany({ data: [{ id: userId, email: "ada@legacy.test", passwordHash: await hashPassword("correct horse battery staple", ARGON2) }] });
      await db.membership.createMany({ data: [{ organizationId: orgId, userId, role: "ADMIN" }] });
      const app = async (name: string, shape: { applicationType: string; platform: string | null }, grants: { scope: string; kind: string }[]) => {
        const id = cuidLike();
        const clientId = randomId();
        // Raw: the client would send this version's columns with their defaults (requireDpop, ...).
        const sql =
          database.provider === "sqlite"
            ? `INSERT INTO "ConnectApplication" ("id", "clientId", "organizationId", "name", "applicationType", "platform", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)`
            : `INSERT INTO "ConnectApplication" ("id", "clientId", "organizationId", "name", "applicationType", "platform", "updatedAt") VALUES ($1, $2, $3, $4, $5, $6, CURRENT_TIMESTAMP)`;
        await db.$executeRawUnsafe(sql, id, clientId, orgId, name, shape.applicationType, shape.platform);
        const secretId = randomBytes(12).toString("hex");
        const secret = formatSecret(secretId);
        await db.clientSecret.createMany({ data: [{ id: secretId, applicationId: id, hash: await argon2Hash(secret, ARGON2), hint: secretHint(secret) }] });
        await db.scopeGrant.createMany({ data: grants.map((g) => ({ applicationId: id, ...g })) });
        return { id, clientId, secret };
      };
      const m2m = await app("Nightly export", { applicationType: "M2M", platform: null }, [{ scope: "connect.applications.read", kind: "APPLICATION" }]);
      const web = await app("Portal", { applicationType: "OAUTH", platform: "WEB" }, [
        { scope: "openid", kind: "DELEGATED" },
        { scope: "offline_access", kind: "DELEGATED" },
        { scope: "email", kind: "DELEGATED" },
      ]);
      await db.consent.createMany({ data: [{ userId, applicationId: web.id, scopes: "openid offline_access email" }] });
      const refreshToken = randomBytes(32).toString("base64url");
      await db.refreshToken.createMany({
        data: [
          {
            tokenHash: sha256(refreshToken),
            familyId: randomId(),
            applicationId: web.id,
            userId,
            scopes: "openid offline_access email",
            authTime: new Date(),
            accessTokenId: randomId(),
            accessExpiresAt: new Date(Date.now() + 3600_000),
            expiresAt: new Date(Date.now() + 30 * 86_400_000),
          },
        ],
      });
      // The signing key 0.1.0 made at its first start (the SigningKey table is unchanged since).
      const keys = new SigningKeys({ db, encryptionSecret: KEY_SECRET, publishRetiredForSeconds: 3900 });
      await keys.init();
      made.kid = keys.activeKid;
      made.signedBefore = await keys.signJwt({ sub: "before-the-upgrade", iat: Math.floor(Date.now() / 1000) }, "JWT");
      Object.assign(made, { m2m: { clientId: m2m.clientId, secret: m2m.secret }, web: { clientId: web.clientId, secret: web.secret }, refreshToken });
    } finally {
      await db.$disconnect();
    }
  });
  afterAll(async () => server?.close());

  it("says which migrations are pending before the upgrade (exit code 1)", async () => {
    const res = await runCliInProcess(["migrate", "--status"], env);
    expect(res.status).toBe(1);
    const all = migrationNames(database.provider);
    const newer = all.filter((n) => n > PREVIOUS_RELEASE_LAST_MIGRATION);
    expect(newer.length).toBeGreaterThan(0);
    expect(res.stdout.trim().split("\n")).toEqual([
      ...all.filter((n) => n <= PREVIOUS_RELEASE_LAST_MIGRATION).map((n) => `applied  ${n}`),
      ...newer.map((n) => `pending  ${n}`),
    ]);
    expect(res.lines).toEqual([expect.stringMatching(new RegExp(`has ${newer.length} pending migration\\(s\\): run \`scopekeeper migrate\`$`))]);
  });

  it("upgrades with scopekeeper migrate, after which --status says up to date (exit code 0)", async () => {
    const migrated = await runCliInProcess(["migrate"], env);
    expect(migrated.lines).toEqual([]);
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toMatch(/applied \d+ migration\(s\)/);
    const status = await runCliInProcess(["migrate", "--status"], env);
    expect(status.status).toBe(0);
    expect(status.stdout.trim().split("\n").at(-1)).toMatch(new RegExp(`is up to date: ${migrationNames(database.provider).length} migration\\(s\\) applied, none pending$`));
    expect(status.stdout).not.toMatch(/pending {2}/);
  });

  it("serves the upgraded database: every secret authenticates, every grant holds, the key verifies", async () => {
    server = await startTestServer({ database, env: { SCOPEKEEPER_KEY_ENCRYPTION_SECRET: KEY_SECRET, ...TEST_ARGON2_ENV } });

    // The M2M app's secret and its APPLICATION grant.
    const m2m = await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read" }, basic(made.m2m.clientId, made.m2m.secret));
    expect(m2m.status).toBe(200);
    expect(m2m.body.scope).toBe("connect.applications.read");
    // Signed with the key 0.1.0 made: it is still the active key.
    expect(decodeProtectedHeader(String(m2m.body.access_token)).kid).toBe(made.kid);

    // The web app's secret, its DELEGATED grants, the person's consent and refresh token.
    const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: made.refreshToken }, basic(made.web.clientId, made.web.secret));
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(String(refreshed.body.scope).split(" ").sort()).toEqual(["email", "offline_access", "openid"]);
    expect(typeof refreshed.body.refresh_token).toBe("string");
    const userinfo = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${refreshed.body.access_token}` } });
    expect(userinfo.status, `${userinfo.headers.get("www-authenticate")} ${await userinfo.clone().text()}`).toBe(200);
    expect(((await userinfo.json()) as { email?: string }).email).toBe("ada@legacy.test");

    // A token signed before the upgrade verifies against the JWKS served after it.
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(made.signedBefore, createLocalJWKSet(jwks));
    expect(payload.sub).toBe("before-the-upgrade");

    // A wrong secret is still refused: the upgrade did not loosen anything.
    const wrong = await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read" }, basic(made.m2m.clientId, `${made.m2m.secret.slice(0, -1)}x`));
    expect(wrong.status).toBe(401);
  });
});
