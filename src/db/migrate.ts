// Deploying, checking and authoring migrations for both providers through the wasm schema engine.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import path from "node:path";
import {
  createPostgresDatabase,
  createSqliteTempFile,
  lockfileContent,
  LOCKFILE_NAME,
  MIGRATION_FILE_NAME,
  NO_FILTERS,
  postgresServerUrl,
  readMigrationsList,
  withEngine,
  type SchemaEngine,
  type SchemaFile,
} from "./schema-engine.ts";
import { PACKAGE_ROOT } from "../package-root.ts";
import { ensureSqliteDirectory, providerOf, sqliteFilePath, type Provider } from "./url.ts";

export type { Provider } from "./url.ts";

const ROOT = PACKAGE_ROOT;
const PROVIDERS: Provider[] = ["sqlite", "postgresql"];

/** A migration problem the operator must resolve; its message is one line meant for them. */
export class MigrationError extends Error {
  override name = "MigrationError";
}

export function migrationsDirFor(provider: Provider): string {
  return path.join(ROOT, provider === "sqlite" ? "prisma/migrations" : "prisma/postgresql/migrations");
}

export function schemaPathFor(provider: Provider): string {
  return path.join(ROOT, provider === "sqlite" ? "prisma/schema.prisma" : "prisma/postgresql/schema.prisma");
}

function readSchema(schemaPath: string): SchemaFile {
  return { path: schemaPath, content: readFileSync(schemaPath, "utf8") };
}

function isMissingMigrationsTable(error: unknown): boolean {
  // P1014: "The underlying table for model `_prisma_migrations` does not exist" (a fresh database).
  return (error as { code?: unknown } | null)?.code === "P1014";
}

/** Applies the pending migrations of this code's folder for the URL's provider. Idempotent. */
export async function migrateDatabase(
  databaseUrl: string,
  opts: { log?: (line: string) => void; /** Another folder of migrations (tests: an earlier release's set). */ migrationsDir?: string } = {},
): Promise<{ applied: string[] }> {
  const provider = providerOf(databaseUrl);
  if (provider === "sqlite") ensureSqliteDirectory(databaseUrl);
  const migrationsList = readMigrationsList(opts.migrationsDir ?? migrationsDirFor(provider));
  return withEngine({ databaseUrl }, async ({ engine }) => {
    // A newer release may have migrated this database; applying our older history on top of it
    // would leave a schema this code does not understand.
    let unknown: string[] = [];
    try {
      const diagnosis = await engine.diagnoseMigrationHistory({
        migrationsList,
        optInToShadowDatabase: false,
        filters: NO_FILTERS,
      });
      const history = diagnosis.history;
      if (history && history.diagnostic !== "databaseIsBehind") unknown = history.unpersistedMigrationNames;
    } catch (error) {
      if (!isMissingMigrationsTable(error)) throw error;
    }
    if (unknown.length > 0) {
      throw new MigrationError(
        `The database has migrations this version of Scopekeeper does not know: ${unknown.join(", ")}. ` +
          "Upgrade Scopekeeper or use the matching database.",
      );
    }
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    for (const name of appliedMigrationNames) opts.log?.(`Applied migration ${name}`);
    return { applied: appliedMigrationNames };
  });
}

export interface MigrationStatus {
  provider: Provider;
  /** Migrations of this version recorded as applied, oldest first. */
  applied: string[];
  /** Migrations of this version the database has not had yet, oldest first. */
  pending: string[];
  /** Migrations that started and did not finish (or were rolled back): `migrate` will say what to do. */
  failed: string[];
  /** Migrations the database has that this version does not know (a newer release's). */
  unknown: string[];
}

/**
 * What `migrate` would do, read without the schema engine and without changing anything: the
 * migrations folder against the database's `_prisma_migrations` table (a database without that
 * table, or a SQLite file not made yet, has every migration pending).
 */
export async function migrationStatus(databaseUrl: string): Promise<MigrationStatus> {
  const provider = providerOf(databaseUrl);
  const known = readdirSync(migrationsDirFor(provider), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const rows = provider === "sqlite" ? readSqliteHistory(databaseUrl) : await readPostgresHistory(databaseUrl);
  const done = new Set(rows.filter((r) => r.finished && !r.rolledBack).map((r) => r.name));
  const failed = [...new Set(rows.filter((r) => !done.has(r.name) && (!r.finished || r.rolledBack)).map((r) => r.name))].sort();
  return {
    provider,
    applied: known.filter((name) => done.has(name)),
    pending: known.filter((name) => !done.has(name) && !failed.includes(name)),
    failed,
    unknown: [...done].filter((name) => !known.includes(name)).sort(),
  };
}

interface HistoryRow {
  name: string;
  finished: boolean;
  rolledBack: boolean;
}

function readSqliteHistory(databaseUrl: string): HistoryRow[] {
  const file = sqliteFilePath(databaseUrl);
  if (file === ":memory:" || !existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
    if (!table) return [];
    const rows = db.prepare("SELECT migration_name AS name, finished_at AS finished, rolled_back_at AS rolledBack FROM _prisma_migrations").all() as {
      name: string;
      finished: unknown;
      rolledBack: unknown;
    }[];
    return rows.map((r) => ({ name: r.name, finished: r.finished !== null, rolledBack: r.rolledBack !== null }));
  } finally {
    db.close();
  }
}

async function readPostgresHistory(databaseUrl: string): Promise<HistoryRow[]> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const exists = await client.query<{ found: string | null }>("SELECT to_regclass('_prisma_migrations')::text AS found");
    if (!exists.rows[0]?.found) return [];
    const { rows } = await client.query<{ name: string; finished: Date | null; rolled_back: Date | null }>(
      "SELECT migration_name AS name, finished_at AS finished, rolled_back_at AS rolled_back FROM _prisma_migrations",
    );
    return rows.map((r) => ({ name: r.name, finished: r.finished !== null, rolledBack: r.rolled_back !== null }));
  } finally {
    await client.end();
  }
}

/** A scratch main database for engine commands that must not touch a real one. */
async function scratchDatabase(provider: Provider): Promise<{ url: string; drop(): Promise<void> }> {
  if (provider === "sqlite") {
    const tmp = createSqliteTempFile("scopekeeper-scratch");
    return { url: `file:${tmp.file}`, drop: async () => tmp.remove() };
  }
  return createPostgresDatabase(postgresServerUrl(), "scopekeeper_scratch");
}

async function withScratchEngine<T>(
  provider: Provider,
  schema: SchemaFile,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const db = await scratchDatabase(provider);
  try {
    return await withEngine({ databaseUrl: db.url, schema }, ({ engine }) => fn(engine));
  } finally {
    await db.drop();
  }
}

/**
 * Diffs the schema the migrations folder produces (replayed on a shadow database) against the
 * Prisma schema. `script` is the SQL that would bring the migrations up to the schema.
 */
export async function checkDrift(
  provider: Provider,
  opts: { schemaPath?: string } = {},
): Promise<{ inSync: boolean; script: string }> {
  const schema = readSchema(opts.schemaPath ?? schemaPathFor(provider));
  const migrationsList = readMigrationsList(migrationsDirFor(provider));
  // diff refuses a folder without a lockfile (before the first migration): that is just drift.
  migrationsList.lockfile.content ??= lockfileContent(provider);
  const run = async (engine: SchemaEngine) => {
    const result = await engine.diff({
      from: { tag: "migrations", ...migrationsList },
      to: { tag: "schemaDatamodel", files: [schema] },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    });
    // exitCode 2 means "the diff is not empty".
    const inSync = result.exitCode === 0;
    return { inSync, script: inSync ? "" : (result.stdout ?? "").trim() };
  };
  // diff replays the migrations on the shadow database and only connects to the main one, so on
  // PostgreSQL the server's own database will do.
  if (provider === "postgresql") return withEngine({ databaseUrl: postgresServerUrl(), schema }, ({ engine }) => run(engine));
  return withScratchEngine(provider, schema, run);
}

/** UTC YYYYMMDDHHMMSS, as Prisma names migration folders. */
function migrationTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

export const MIGRATION_NAME = /^[a-z0-9_]+$/;

/**
 * Authors a migration named `<timestamp>_<name>` for both providers from their schema files.
 * Returns the created folders, null for a provider whose migrations already match its schema.
 */
export async function createMigration(name: string): Promise<{ sqlite: string | null; postgresql: string | null }> {
  if (!MIGRATION_NAME.test(name)) throw new MigrationError(`Migration names use a-z, 0-9 and _ only (got "${name}")`);
  const folder = `${migrationTimestamp(new Date())}_${name}`;

  // Generate both scripts before writing anything, so a failure leaves neither folder behind.
  const scripts = new Map<Provider, string | null>();
  for (const provider of PROVIDERS) {
    const migrationsList = readMigrationsList(migrationsDirFor(provider));
    const schema = readSchema(schemaPathFor(provider));
    const script = await withScratchEngine(provider, schema, async (engine) => {
      // devDiagnostic fails without _prisma_migrations, and createMigration only gets its shadow
      // database through devDiagnostic's replay: apply, diagnose, then create.
      await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
      const { action } = await engine.devDiagnostic({ migrationsList, filters: NO_FILTERS });
      if (action.tag === "reset") throw new MigrationError(`${provider}: the migration history is inconsistent: ${action.reason}`);
      const out = await engine.createMigration({
        draft: false,
        migrationName: name,
        migrationsList,
        schema: { files: [schema] },
        filters: NO_FILTERS,
      });
      return out.migrationScript;
    });
    scripts.set(provider, script);
  }

  const created: { sqlite: string | null; postgresql: string | null } = { sqlite: null, postgresql: null };
  for (const provider of PROVIDERS) {
    const script = scripts.get(provider);
    if (!script) continue;
    const baseDir = migrationsDirFor(provider);
    const dir = path.join(baseDir, folder);
    if (existsSync(dir)) throw new MigrationError(`The migration folder already exists: ${dir}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(path.join(dir, MIGRATION_FILE_NAME), script);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    const lockfile = path.join(baseDir, LOCKFILE_NAME);
    if (!existsSync(lockfile)) writeFileSync(lockfile, lockfileContent(provider));
    created[provider] = dir;
  }
  return created;
}
