// `scopekeeper backup FILE` and `scopekeeper restore FILE`.
import { providerOf } from "../../db/url.ts";
import { CliError } from "../errors.ts";
import { checkDatabase } from "../preflight.ts";
import type { Command } from "./command.ts";

function fileArgument(command: string, args: string[]): string {
  const [file, ...rest] = args;
  if (!file || file.startsWith("-")) throw new CliError(`${command} needs a file: scopekeeper ${command} FILE`);
  if (rest.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(rest[0])} for ${command}; see scopekeeper ${command} --help`);
  return file;
}

async function explained(work: () => Promise<void>): Promise<void> {
  const { BackupError } = await import("../../db/backup.ts");
  try {
    await work();
  } catch (err) {
    throw err instanceof BackupError ? new CliError(err.message) : err;
  }
}

export const backup: Command = {
  name: "backup",
  summary: "write a consistent copy of the database (secrets, keys, grants, everything) to a file",
  help: `Usage: scopekeeper backup FILE

Writes the whole database to FILE while servers keep running: SQLite through its online
backup API (FILE is an SQLite database), PostgreSQL through pg_dump's custom format (needs
PostgreSQL's client tools, pg_dump, on PATH). Keep FILE as safe as the database: it holds the
signing keys (encrypted only when SCOPEKEEPER_KEY_ENCRYPTION_SECRET is set) and secret hashes.

Examples:
  scopekeeper backup /var/backups/scopekeeper-$(date +%F).db
  DATABASE_URL=postgresql://scopekeeper@db/scopekeeper scopekeeper backup scopekeeper.dump`,
  async run(args, ctx) {
    const file = fileArgument("backup", args);
    const config = ctx.config();
    await checkDatabase(config.databaseUrl, { willMigrate: providerOf(config.databaseUrl) === "sqlite" });
    await explained(async () => {
      const { backupDatabase } = await import("../../db/backup.ts");
      await backupDatabase(config.databaseUrl, file);
    });
    console.log(`backed up to ${file}`);
    return 0;
  },
};

export const restore: Command = {
  name: "restore",
  summary: "replace the database's content with a backup made by scopekeeper backup",
  help: `Usage: scopekeeper restore FILE

Replaces everything in DATABASE_URL with the backup in FILE. Stop the servers first (SQLite:
restore refuses while a serve holds the file). Restoring a backup of an older release is
fine: \`scopekeeper migrate\` (or serve, on SQLite) brings it up to date. PostgreSQL needs
pg_restore on PATH. Set the same SCOPEKEEPER_KEY_ENCRYPTION_SECRET as when the backup was made.

Examples:
  scopekeeper restore /var/backups/scopekeeper-2026-12-01.db
  DATABASE_URL=postgresql://scopekeeper@db/scopekeeper scopekeeper restore scopekeeper.dump && scopekeeper migrate`,
  async run(args, ctx) {
    const file = fileArgument("restore", args);
    const config = ctx.config();
    const embedded = providerOf(config.databaseUrl) === "sqlite";
    await checkDatabase(config.databaseUrl, { willMigrate: true });
    let release = () => {};
    if (embedded) {
      const { holdSqliteServeLock, SqliteInUse } = await import("../../db/sqlite-serve-lock.ts");
      try {
        release = holdSqliteServeLock(config.databaseUrl).release;
      } catch (err) {
        if (err instanceof SqliteInUse) throw new CliError(`${err.message.split(":")[0]}: stop it before restoring`);
        throw err;
      }
    }
    try {
      await explained(async () => {
        const { restoreDatabase } = await import("../../db/backup.ts");
        await restoreDatabase(config.databaseUrl, file);
      });
    } finally {
      release();
    }
    console.log(`restored ${file}; run \`scopekeeper migrate\` if it came from an older release`);
    return 0;
  },
};
