// Checks a command makes before it touches the database, so that the common first-hour
// mistakes (PostgreSQL down, wrong password, not migrated, an unwritable SQLite path) end in
// one line that says what to do instead of a driver's stack trace.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statfsSync, statSync } from "node:fs";
import path from "node:path";
import { migrationsDirFor } from "../db/migrate.ts";
import { describeDatabase, providerOf, sqliteFilePath } from "../db/url.ts";
import { CliError, explainFailure } from "./errors.ts";

// Kernel file systems (statfs magic numbers) where a path may look writable to root but holds
// no files: SQLite fails there with a disk I/O error, the schema engine with a bare "External
// error", and some /proc paths spin until killed.
const KERNEL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, "/proc"],
  [0x62656572, "/sys"],
  [0x64626720, "debugfs"],
  [0x73636673, "securityfs"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0x1cd1, "devpts"],
]);

/** The kernel file system a path is on (its nearest existing folder), or null for an ordinary one. */
export function kernelFileSystemOf(file: string): string | null {
  let dir = path.dirname(file);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    return KERNEL_FILE_SYSTEMS.get(Number(statfsSync(dir).type)) ?? null;
  } catch {
    return null;
  }
}

/** The SQLite file's folder exists (or can be made) and the process may write there. */
function checkSqliteWritable(databaseUrl: string): void {
  const file = sqliteFilePath(databaseUrl);
  if (file === ":memory:") return;
  const kernel = kernelFileSystemOf(file);
  if (kernel) {
    throw new CliError(
      `cannot keep ${describeDatabase(databaseUrl)}: ${path.dirname(file)} is on ${kernel}, the kernel's file system, not a disk; choose another path in DATABASE_URL (e.g. file:./data/scopekeeper.db)`,
    );
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new CliError(
      `cannot use ${describeDatabase(databaseUrl)}: it is a folder; DATABASE_URL names the database file itself (e.g. file:${path.join(file, "scopekeeper.db")})`,
    );
  }
  const dir = path.dirname(file);
  const unwritable = () =>
    new CliError(`cannot write ${describeDatabase(databaseUrl)}: ${dir} is not writable; choose another path in DATABASE_URL (e.g. file:./data/scopekeeper.db)`);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    if (existsSync(file)) accessSync(file, constants.W_OK);
  } catch {
    throw unwritable();
  }
}

/** Migration folders this version ships that the database has not applied. */
function pendingMigrations(applied: Set<string>): string[] {
  const dir = migrationsDirFor("postgresql");
  const shipped = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  return shipped.filter((name) => !applied.has(name));
}

async function checkPostgres(databaseUrl: string, needMigrated: boolean): Promise<void> {
  const { default: pg } = await import("pg"); // only for PostgreSQL: a SQLite start never loads it
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  // An unreachable server emits 'error' as well as rejecting connect().
  client.on("error", () => undefined);
  try {
    await client.connect();
    if (!needMigrated) return;
    const table = await client.query<{ t: string | null }>(`SELECT to_regclass('public._prisma_migrations')::text AS t`);
    if (!table.rows[0]?.t) {
      throw new CliError(`${describeDatabase(databaseUrl)} is not migrated: run \`scopekeeper migrate\` (or \`scopekeeper serve --migrate\`)`);
    }
    const rows = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const pending = pendingMigrations(new Set(rows.rows.map((r) => r.migration_name)));
    if (pending.length > 0) {
      throw new CliError(
        `${describeDatabase(databaseUrl)} has ${pending.length} pending migration(s) (${pending.join(", ")}): run \`scopekeeper migrate\``,
      );
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    const line = explainFailure(err, { databaseUrl });
    throw line ? new CliError(line) : err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The database can be used: SQLite's path is writable; PostgreSQL answers, accepts the
 * credentials and (unless the command is about to migrate it) has every migration applied.
 */
export async function checkDatabase(databaseUrl: string, opts: { willMigrate: boolean }): Promise<void> {
  if (providerOf(databaseUrl) === "sqlite") return checkSqliteWritable(databaseUrl);
  return checkPostgres(databaseUrl, !opts.willMigrate);
}
