// Backups and restores of the whole database: every secret hash, signing key, grant and
// consent, as a file an operator keeps. SQLite through its online backup API (consistent while
// the server runs); PostgreSQL through pg_dump and pg_restore (PostgreSQL's client tools), in
// pg_dump's custom format.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { describeDatabase, ensureSqliteDirectory, providerOf, sqliteFilePath } from "./url.ts";

/** A backup or restore the operator must fix; its message is the one line to show. */
export class BackupError extends Error {
  override name = "BackupError";
}

function tool(name: "pg_dump" | "pg_restore"): string {
  const found = spawnSync(name, ["--version"], { encoding: "utf8" });
  if (found.error || found.status !== 0) {
    throw new BackupError(
      `${name} was not found: PostgreSQL backups use PostgreSQL's client tools; install them (e.g. apt-get install postgresql-client, the same major version as the server) and run this again`,
    );
  }
  return name;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
  if (result.status !== 0) {
    const reason = (result.stderr || String(result.error ?? "")).trim().split("\n")[0];
    throw new BackupError(`${command} failed: ${reason}`);
  }
}

/** Writes a consistent copy of the database to `file` (created or replaced). */
export async function backupDatabase(databaseUrl: string, file: string): Promise<void> {
  if (providerOf(databaseUrl) === "postgresql") {
    run(tool("pg_dump"), ["--format=custom", "--no-owner", "--file", file, "--dbname", databaseUrl]);
    return;
  }
  const source = sqliteFilePath(databaseUrl);
  if (!existsSync(source)) throw new BackupError(`${describeDatabase(databaseUrl)} does not exist: nothing to back up`);
  const db = new Database(source, { fileMustExist: true });
  try {
    await db.backup(file);
  } finally {
    db.close();
  }
}

function checkSqliteBackup(file: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.prepare("SELECT count(*) FROM _prisma_migrations").get();
  } catch {
    throw new BackupError(`${file} is not a Scopekeeper SQLite backup (no migrations table): nothing was changed`);
  } finally {
    db?.close();
  }
}

/**
 * Replaces the database's content with the backup's. SQLite: the file is replaced (no server
 * may be serving it; the caller holds its serve lock). PostgreSQL: every object the backup
 * holds is dropped and recreated, in one transaction.
 */
export async function restoreDatabase(databaseUrl: string, file: string): Promise<void> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new BackupError(`${file} is not a file: name a backup made by scopekeeper backup`);
  if (providerOf(databaseUrl) === "postgresql") {
    run(tool("pg_restore"), ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error", "--dbname", databaseUrl, file]);
    return;
  }
  checkSqliteBackup(file);
  const target = ensureSqliteDirectory(databaseUrl);
  // The old file's write-ahead log would be replayed onto the restored pages.
  for (const suffix of ["-wal", "-shm"]) rmSync(`${target}${suffix}`, { force: true });
  const backup = new Database(file, { readonly: true, fileMustExist: true });
  try {
    await backup.backup(target);
  } finally {
    backup.close();
  }
}
