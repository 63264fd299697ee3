// The start-up fast path for an embedded SQLite file: when its migrations table already lists
// every migration of this version, and nothing else, there is nothing for the schema engine
// to do, so the server starts without loading it (a wasm module: about 100 ms and 15 MB).
// Anything else (a new file, a pending or failed migration, one from a newer version) goes
// through src/db/migrate.ts, which applies or explains it.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { PACKAGE_ROOT } from "../package-root.ts";
import { sqliteFilePath } from "./url.ts";

const SQLITE_MIGRATIONS_DIR = path.join(PACKAGE_ROOT, "prisma/migrations");

export function sqliteIsUpToDate(databaseUrl: string, migrationsDir = SQLITE_MIGRATIONS_DIR): boolean {
  const file = sqliteFilePath(databaseUrl);
  if (file === ":memory:" || !existsSync(file)) return false;
  const expected = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  let applied: string[];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("SELECT migration_name AS name, finished_at AS finished, rolled_back_at AS rolledBack FROM _prisma_migrations")
      .all() as { name: string; finished: unknown; rolledBack: unknown }[];
    if (rows.some((r) => r.finished === null || r.rolledBack !== null)) return false;
    applied = [...new Set(rows.map((r) => r.name))].sort();
  } catch {
    return false; // no migrations table yet
  } finally {
    db.close();
  }
  return applied.length === expected.length && applied.every((name, i) => name === expected[i]);
}
