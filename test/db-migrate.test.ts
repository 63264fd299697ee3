// Migrations through the wasm schema engine: deploy on both providers, refusal of unknown
// history, drift detection, and the derived PostgreSQL schema.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { derivePostgresSchema, POSTGRES_SCHEMA, SQLITE_SCHEMA } from "../scripts/derive-postgres-schema.ts";
import { sqliteIsUpToDate } from "../src/db/applied-migrations.ts";
import { checkDrift, migrateDatabase, MigrationError, migrationsDirFor } from "../src/db/migrate.ts";
import { createPostgresDatabase, postgresServerUrl } from "../src/db/schema-engine.ts";

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-migrate-test-"));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function freshSqliteUrl(): string {
  // A folder that does not exist yet: migrateDatabase must create it.
  return `file:${path.join(tmpRoot, randomBytes(6).toString("hex"), "db.sqlite")}`;
}

function migrationNames(provider: "sqlite" | "postgresql"): string[] {
  return readdirSync(migrationsDirFor(provider), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

type Model = Record<string, string[]>;

function sqliteModel(url: string): Model {
  const db = new Database(url.slice("file:".length), { readonly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'")
      .all() as { name: string }[];
    const model: Model = {};
    for (const { name } of tables) {
      const columns = db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[];
      model[name] = columns.map((c) => c.name).sort();
    }
    return model;
  } finally {
    db.close();
  }
}

async function postgresModel(url: string): Promise<Model> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'`,
    );
    const model: Model = {};
    for (const row of rows) (model[row.table_name] ??= []).push(row.column_name);
    for (const columns of Object.values(model)) columns.sort();
    return model;
  } finally {
    await client.end();
  }
}

// PostgreSQL runs when DATABASE_URL asks for it; otherwise only if the default server answers.
const pgUrl = postgresServerUrl();
const pgAsked = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? "");
const pgAvailable =
  pgAsked ||
  (await (async () => {
    const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })());

describe("migration folders", () => {
  it("hold the same migrations for both providers", () => {
    expect(migrationNames("sqlite").length).toBeGreaterThan(0);
    expect(migrationNames("postgresql")).toEqual(migrationNames("sqlite"));
  });

  it("derive prisma/postgresql/schema.prisma from prisma/schema.prisma", () => {
    expect(readFileSync(POSTGRES_SCHEMA, "utf8")).toBe(derivePostgresSchema(readFileSync(SQLITE_SCHEMA, "utf8")));
  });
});

describe("migrateDatabase on SQLite", () => {
  it("migrates a fresh file, then applies nothing", async () => {
    const url = freshSqliteUrl();
    const first = await migrateDatabase(url);
    expect(first.applied).toEqual(migrationNames("sqlite"));
    const second = await migrateDatabase(url);
    expect(second.applied).toEqual([]);
    expect(Object.keys(sqliteModel(url))).toContain("ConnectApplication");
  });

  it("refuses a database that has migrations this code does not know, and applies nothing", async () => {
    const url = freshSqliteUrl();
    await migrateDatabase(url);
    const unknown = "20991231000000_from_a_newer_release";
    const db = new Database(url.slice("file:".length));
    db.prepare("DELETE FROM _prisma_migrations").run();
    db.prepare(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ('x', 'x', ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)`,
    ).run(unknown);
    db.close();

    const attempt = migrateDatabase(url);
    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(attempt).rejects.toThrow(unknown);

    const after = new Database(url.slice("file:".length), { readonly: true });
    const names = after.prepare("SELECT migration_name FROM _prisma_migrations").all() as { migration_name: string }[];
    after.close();
    expect(names.map((r) => r.migration_name)).toEqual([unknown]);
  });
});

describe("the start-up check that lets a server skip the schema engine", () => {
  it("passes an SQLite file that lists every migration and nothing else, and no other", async () => {
    const url = freshSqliteUrl();
    expect(sqliteIsUpToDate(url)).toBe(false); // no file yet
    await migrateDatabase(url);
    expect(sqliteIsUpToDate(url)).toBe(true);

    const file = url.slice("file:".length);
    const db = new Database(file);
    const last = migrationNames("sqlite").at(-1)!;
    db.prepare("UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = ?").run(last);
    expect(sqliteIsUpToDate(url)).toBe(false); // a failed migration
    db.prepare("UPDATE _prisma_migrations SET finished_at = CURRENT_TIMESTAMP").run();
    db.prepare("DELETE FROM _prisma_migrations WHERE migration_name = ?").run(last);
    expect(sqliteIsUpToDate(url)).toBe(false); // a pending one
    db.prepare(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ('y', 'y', ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1), ('z', 'z', '20991231000000_newer', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)`,
    ).run(last);
    expect(sqliteIsUpToDate(url)).toBe(false); // one from a newer version: the engine must explain it
    db.prepare("DROP TABLE _prisma_migrations").run();
    db.close();
    expect(sqliteIsUpToDate(url)).toBe(false);
  });
});

describe.skipIf(!pgAvailable)("migrateDatabase on PostgreSQL", () => {
  it("migrates a fresh database to the same tables and columns as SQLite", async () => {
    const db = await createPostgresDatabase(pgUrl, "scopekeeper_test");
    try {
      const first = await migrateDatabase(db.url);
      expect(first.applied).toEqual(migrationNames("postgresql"));
      expect((await migrateDatabase(db.url)).applied).toEqual([]);

      const sqliteUrl = freshSqliteUrl();
      await migrateDatabase(sqliteUrl);
      expect(await postgresModel(db.url)).toEqual(sqliteModel(sqliteUrl));
    } finally {
      await db.drop();
    }
  });
});

describe("checkDrift", () => {
  const extraModel = "\nmodel DriftProbe {\n  id String @id\n}\n";

  it("reports SQLite in sync, and drift for a schema with an extra model", async () => {
    expect(await checkDrift("sqlite")).toEqual({ inSync: true, script: "" });

    const schemaPath = path.join(tmpRoot, "drift-sqlite.prisma");
    writeFileSync(schemaPath, readFileSync(SQLITE_SCHEMA, "utf8") + extraModel);
    const drift = await checkDrift("sqlite", { schemaPath });
    expect(drift.inSync).toBe(false);
    expect(drift.script).toContain('CREATE TABLE "DriftProbe"');
  });

  it.skipIf(!pgAvailable)("reports PostgreSQL in sync, and drift for a schema with an extra model", async () => {
    expect(await checkDrift("postgresql")).toEqual({ inSync: true, script: "" });

    const schemaPath = path.join(tmpRoot, "drift-postgresql.prisma");
    writeFileSync(schemaPath, derivePostgresSchema(readFileSync(SQLITE_SCHEMA, "utf8") + extraModel));
    const drift = await checkDrift("postgresql", { schemaPath });
    expect(drift.inSync).toBe(false);
    expect(drift.script).toContain('CREATE TABLE "DriftProbe"');
  });
});
