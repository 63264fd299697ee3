// `scopekeeper serve`: check the database, then start the HTTP server.
import { providerOf } from "../../db/url.ts";
import { parseOptions } from "../args.ts";
import { checkDatabase } from "../preflight.ts";
import type { Command } from "./command.ts";

export const serve: Command = {
  name: "serve",
  summary: "start the HTTP server (migrates an embedded SQLite database first)",
  help: `Usage: scopekeeper serve [--migrate]

Starts the server on HOST:PORT (default 127.0.0.1:4000). An embedded SQLite database is
created and migrated automatically; PostgreSQL is migrated only with --migrate (run
\`scopekeeper migrate\` otherwise).

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
    await checkDatabase(config.databaseUrl, { willMigrate: values.migrate === true || providerOf(config.databaseUrl) === "sqlite" });
    const { startServer } = await import("../../start.ts");
    await startServer(config, { migrate });
    return "running";
  },
};
