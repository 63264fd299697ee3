// `scopekeeper migrate`: apply pending migrations; `--status` lists them and changes nothing.
import { parseOptions } from "../args.ts";
import { checkDatabase } from "../preflight.ts";
import type { Command } from "./command.ts";

export const migrate: Command = {
  name: "migrate",
  summary: "apply pending database migrations",
  help: `Usage: scopekeeper migrate [--status]

Applies pending migrations to DATABASE_URL and creates (or puts right) the console's client,
scopekeeper-console. Safe to run twice; refuses a database that has migrations this version
does not know.

  --status   list the migrations applied and pending, change nothing; exit code 0 when the
             database is up to date, 1 (with one line saying what to do) otherwise

Examples:
  scopekeeper migrate
  scopekeeper migrate --status
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scopekeeper scopekeeper migrate`,
  async run(args, ctx) {
    const { status } = parseOptions("migrate", args, { status: { type: "boolean" } });
    const config = ctx.config();
    await checkDatabase(config.databaseUrl, { willMigrate: true });
    if (status) return printStatus(config.databaseUrl);
    const { migrateDatabase } = await import("../../db/migrate.ts");
    const { applied } = await migrateDatabase(config.databaseUrl, { log: (l) => console.log(l) });
    console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}` : "database is up to date");
    // The console signs in as its own first-party client: migrate creates it (serve also puts it right).
    const { createDb } = await import("../../db/client.ts");
    const { ensureConsoleClient } = await import("../../applications/console-client.ts");
    const { openChangeFeed } = await import("../../changes/feed.ts");
    const { db, provider } = await createDb(config.databaseUrl);
    try {
      await ensureConsoleClient(db, config.issuer);
      // Servers already running drop their view of it at once.
      const changes = await openChangeFeed({ provider, enabled: config.changeFeed, listen: false, db, databaseUrl: config.databaseUrl });
      await changes.announce("application", "scopekeeper-console");
    } finally {
      await db.$disconnect();
    }
    return 0;
  },
};

async function printStatus(databaseUrl: string): Promise<number> {
  const { migrationStatus } = await import("../../db/migrate.ts");
  const { describeDatabase } = await import("../../db/url.ts");
  const { applied, pending, failed, unknown } = await migrationStatus(databaseUrl);
  for (const name of applied) console.log(`applied  ${name}`);
  for (const name of failed) console.log(`failed   ${name}`);
  for (const name of pending) console.log(`pending  ${name}`);
  for (const name of unknown) console.log(`unknown  ${name}`);
  const where = describeDatabase(databaseUrl);
  if (unknown.length > 0) {
    console.error(`scopekeeper: ${where} has ${unknown.length} migration(s) this version does not know (a newer release's): upgrade Scopekeeper or use the matching database`);
    return 1;
  }
  if (failed.length > 0) {
    console.error(`scopekeeper: ${where} has ${failed.length} migration(s) that did not finish (${failed.join(", ")}): restore the backup made before the upgrade, then run \`scopekeeper migrate\` again`);
    return 1;
  }
  if (pending.length > 0) {
    console.error(`scopekeeper: ${where} has ${pending.length} pending migration(s): run \`scopekeeper migrate\``);
    return 1;
  }
  console.log(`${where} is up to date: ${applied.length} migration(s) applied, none pending`);
  return 0;
}
