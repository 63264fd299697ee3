// One `scopekeeper serve` per SQLite file. SQLite is one process: two servers on one file would
// each keep their own caches, revocations and throttle counts, and disagree without a word.
// The lock is SQLite's own (an exclusive transaction held open on a small file beside the
// database): the operating system releases it when the process ends, however it ends, so a
// crash never leaves a stale lock behind. Other commands (bootstrap, user, keys) still open
// the database while a server runs.
import Database from "better-sqlite3";
import { describeDatabase, sqliteFilePath } from "./url.ts";

/** Locks held by this process: referenced here so that garbage collection never closes one. */
const held = new Set<Database.Database>();

export class SqliteInUse extends Error {
  override name = "SqliteInUse";
}

/** The file whose lock a serving process holds. */
export function serveLockPath(databaseUrl: string): string {
  return `${sqliteFilePath(databaseUrl)}.serve-lock`;
}

/**
 * Takes the file's serve lock for the life of this process (release() gives it back early).
 * Throws SqliteInUse when another process holds it.
 */
export function holdSqliteServeLock(databaseUrl: string): { release(): void } {
  if (sqliteFilePath(databaseUrl) === ":memory:") return { release() {} };
  const lock = new Database(serveLockPath(databaseUrl), { timeout: 0 });
  try {
    // An empty file is never locked: give it a table, then hold a write transaction open.
    lock.exec("CREATE TABLE IF NOT EXISTS serve_lock (pid INTEGER)");
    lock.exec("BEGIN EXCLUSIVE");
    lock.prepare("DELETE FROM serve_lock").run();
    lock.prepare("INSERT INTO serve_lock (pid) VALUES (?)").run(process.pid);
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code === "SQLITE_BUSY" || (err as { code?: string }).code === "SQLITE_LOCKED") {
      throw new SqliteInUse(
        `another scopekeeper serve is already using ${describeDatabase(databaseUrl)}: SQLite serves one process; stop the other one, or use PostgreSQL (DATABASE_URL=postgresql://...) for several processes`,
      );
    }
    throw err;
  }
  held.add(lock);
  return {
    release() {
      held.delete(lock);
      if (lock.open) lock.close();
    },
  };
}
