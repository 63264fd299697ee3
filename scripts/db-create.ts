// `npm run db:create -- NAME`: derives the PostgreSQL schema, then authors a migration named NAME
// for both providers (Prisma's `migrate dev` cannot run here: see src/db/schema-engine.ts).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createMigration, MIGRATION_NAME } from "../src/db/migrate.ts";
import { derivePostgresSchema, POSTGRES_SCHEMA, SQLITE_SCHEMA } from "./derive-postgres-schema.ts";

async function main(): Promise<number> {
  const name = process.argv[2];
  if (!name || process.argv.length > 3 || !MIGRATION_NAME.test(name)) {
    console.error("usage: npm run db:create -- NAME   (NAME matches ^[a-z0-9_]+$, e.g. add_user_locale)");
    return 2;
  }
  const derived = derivePostgresSchema(readFileSync(SQLITE_SCHEMA, "utf8"));
  if (!existsSync(POSTGRES_SCHEMA) || readFileSync(POSTGRES_SCHEMA, "utf8") !== derived) {
    writeFileSync(POSTGRES_SCHEMA, derived);
    console.log(`Updated ${path.relative(process.cwd(), POSTGRES_SCHEMA)}`);
  }
  const created = await createMigration(name);
  for (const [provider, dir] of Object.entries(created)) {
    console.log(`${provider}: ${dir ? `created ${path.relative(process.cwd(), dir)}` : "no changes"}`);
  }
  return 0;
}

// The engine and pg pools can keep the event loop alive: exit explicitly.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
