// `scopekeeper migrate`: apply pending migrations.
import { parseOptions } from "../args.ts";
import { checkDatabase } from "../preflight.ts";
import type { Command } from "./command.ts";

export const migrate: Command = {
  name: "migrate",
  summary: "apply pending database migrations",
  help: `Usage: scopekeeper migrate

Applies pending migrations to DATABASE_URL and creates (or puts right) the console's client,
scopekeeper-console. Safe to run twice; refuses a database that has migrations this version
does not know.

Examples:
  scopekeeper migrate
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scopekeeper scopekeeper migrate`,
  async run(args, ctx) {
    parseOptions("migrate", args, {});
    const config = ctx.config();
    await checkDatabase(config.databaseUrl, { willMigrate: true });
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
