// The `scopekeeper` command line: serve, migrate, keys rotate, bootstrap, user add, catalog.
import { parseArgs } from "node:util";
import { ValidationError } from "../applications/errors.ts";
import { ConfigError, loadConfig, type Config } from "../config/index.ts";
import { providerOf } from "../db/url.ts";

const HELP: Record<string, string> = {
  main: `scopekeeper: OAuth 2 authorization server with a GraphQL client registry

Usage: scopekeeper <command> [options]

Commands:
  serve              start the HTTP server (migrates an embedded SQLite database first)
  migrate            apply pending database migrations
  keys rotate        add a new signing key; the old one stays published until its tokens expire
  bootstrap          create an organization and its admin application
  user add           add a user to an organization
  catalog check      validate the scope catalog (hubs in plugins/ and SCOPEKEEPER_PLUGINS)
  catalog list       print the scope catalog

Run scopekeeper <command> --help for a command's options. Configuration comes from the
environment: see the README's configuration table.`,
  serve: `Usage: scopekeeper serve [--migrate]

Starts the server on HOST:PORT (default 127.0.0.1:4000). An embedded SQLite database is
migrated automatically; PostgreSQL only with --migrate (run \`scopekeeper migrate\` otherwise).`,
  migrate: `Usage: scopekeeper migrate

Applies pending migrations to DATABASE_URL. Safe to run twice; refuses a database that has
migrations this version does not know.`,
  keys: `Usage: scopekeeper keys rotate

Creates a new ES256 signing key and makes it the active one. The previous key stays in
/.well-known/jwks.json until every token it signed has expired. Running servers pick the new
key up within 30 seconds.`,
  bootstrap: `Usage: scopekeeper bootstrap --org NAME [--json]

Creates an organization (the first one becomes the operator organization) and an M2M admin
application holding connect.applications.read and connect.applications.manage, then prints
its organizationId (a GraphQL global id), clientId and clientSecret. The secret is shown once.`,
  user: `Usage: scopekeeper user add --org ID --email EMAIL --password PASSWORD --role ADMIN|MEMBER`,
  catalog: `Usage: scopekeeper catalog check | catalog list [--json]`,
};

function fail(message: string): never {
  console.error(`scopekeeper: ${message}`);
  process.exit(1);
}

function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(HELP.main);
    return command ? 0 : 1;
  }
  if (!(command in HELP)) fail(`unknown command ${JSON.stringify(command)}: see scopekeeper --help`);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(HELP[command]);
    return 0;
  }
  switch (command) {
    case "serve": {
      const { values } = parseArgs({ args: rest, options: { migrate: { type: "boolean" } }, strict: true });
      const { startServer } = await import("../start.ts");
      await startServer(config(), { migrate: values.migrate ? "always" : "embedded-only" });
      return -1; // keep running
    }
    case "migrate": {
      parseArgs({ args: rest, options: {}, strict: true });
      const cfg = config();
      const { migrateDatabase } = await import("../db/migrate.ts");
      const { applied } = await migrateDatabase(cfg.databaseUrl, { log: (l) => console.log(l) });
      console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}` : "database is up to date");
      const { createDb } = await import("../db/client.ts");
      const { ensureConsoleClient } = await import("../applications/console-client.ts");
      const { db } = await createDb(cfg.databaseUrl);
      try {
        await ensureConsoleClient(db, cfg.issuer);
      } finally {
        await db.$disconnect();
      }
      return 0;
    }
    case "keys": {
      if (rest[0] !== "rotate") fail("usage: scopekeeper keys rotate");
      const cfg = config();
      const { createServices } = await import("../services.ts");
      const services = await createServices(cfg);
      try {
        const { kid, retired } = await services.keys.rotate();
        console.log(`active signing key: ${kid}${retired.length ? `; still published until their tokens expire: ${retired.join(", ")}` : ""}`);
      } finally {
        await services.close();
      }
      return 0;
    }
    case "bootstrap": {
      const { values } = parseArgs({ args: rest, options: { org: { type: "string" }, json: { type: "boolean" } }, strict: true });
      if (!values.org) fail("bootstrap needs --org NAME");
      const cfg = config();
      await ensureEmbeddedSchema(cfg);
      const { createServices } = await import("../services.ts");
      const { bootstrapOrganization } = await import("./bootstrap.ts");
      const services = await createServices(cfg);
      try {
        const { organizationId, clientId, clientSecret } = await bootstrapOrganization(services, values.org);
        if (values.json) console.log(JSON.stringify({ organizationId, clientId, clientSecret }));
        else {
          console.log(`organizationId: ${organizationId}\nclientId:       ${clientId}\nclientSecret:   ${clientSecret}`);
          console.error("Store the client secret now: it is not shown again.");
        }
      } finally {
        await services.close();
      }
      return 0;
    }
    case "user": {
      const { runUserCommand } = await import("./user.ts");
      const cfg = config();
      await ensureEmbeddedSchema(cfg);
      return runUserCommand(rest, cfg);
    }
    case "catalog": {
      const cfg = config();
      const { runCatalogCommand } = await import("./catalog.ts");
      return runCatalogCommand(rest, {
        issuer: cfg.issuer,
        pluginModules: cfg.pluginModules,
        ...(cfg.pluginsDir ? { pluginsDir: cfg.pluginsDir } : {}),
      });
    }
  }
  return 1;
}

/** Commands that write to an embedded SQLite file bring its schema up to date first, as serve does. */
async function ensureEmbeddedSchema(cfg: Config): Promise<void> {
  if (providerOf(cfg.databaseUrl) !== "sqlite") return;
  const { migrateDatabase } = await import("../db/migrate.ts");
  await migrateDatabase(cfg.databaseUrl);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ValidationError) fail(err.fieldErrors.map((e) => `--${e.path.join(".")} ${e.message}`).join("; "));
    if (err instanceof Error && (err.name === "MigrationError" || err.name === "CatalogError" || err.name === "ConfigError")) fail(err.message);
    console.error(err);
    process.exit(1);
  },
);
