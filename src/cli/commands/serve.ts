// `scopekeeper serve`: check the database, then start the HTTP server.
import { providerOf } from "../../db/url.ts";
import { parseOptions } from "../args.ts";
import { CliError } from "../errors.ts";
import { checkDatabase } from "../preflight.ts";
import type { Command } from "./command.ts";

export const serve: Command = {
  name: "serve",
  summary: "start the HTTP server (migrates an embedded SQLite database first)",
  help: `Usage: scopekeeper serve [--migrate]

Starts the server on HOST:PORT (default 127.0.0.1:4000). An embedded SQLite database is
created and migrated automatically; PostgreSQL is migrated only with --migrate (run
\`scopekeeper migrate\` otherwise). SQLite serves one process: a second serve on the same
file refuses to start (use PostgreSQL for several processes).

Options:
  --migrate     apply pending migrations first, on PostgreSQL too
  --help, -h    show this help

Examples:
  scopekeeper serve
  PORT=4001 scopekeeper serve
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scopekeeper scopekeeper serve --migrate`,
  async run(args, ctx) {
    const values = parseOptions("serve", args, { migrate: { type: "boolean" } });
    const config = ctx.config();
    const migrate = values.migrate ? "always" : "embedded-only";
    const embedded = providerOf(config.databaseUrl) === "sqlite";
    await checkDatabase(config.databaseUrl, { willMigrate: values.migrate === true || embedded });
    if (embedded) {
      // Held until the process ends: a second serve on this file refuses before it migrates.
      const { holdSqliteServeLock, SqliteInUse } = await import("../../db/sqlite-serve-lock.ts");
      try {
        holdSqliteServeLock(config.databaseUrl);
      } catch (err) {
        throw err instanceof SqliteInUse ? new CliError(err.message) : err;
      }
    }
    const { startServer } = await import("../../start.ts");
    await startServer(config, { migrate });
    return "running";
  },
};
