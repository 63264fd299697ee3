// `scopekeeper migrate`: apply pending migrations.
import { parseOptions } from "../args.ts";
import { checkDatabase } from "../preflight.ts";
import type { Command } from "./command.ts";

export const migrate: Command = {
  name: "migrate",
  summary: "apply pending database migrations",
  help: `Usage: scopekeeper migrate

Applies pending migrations to DATABASE_URL. Safe to run twice; refuses a database that has
migrations this version does not know.

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
    return 0;
  },
};
