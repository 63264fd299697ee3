// `npm run db:check`: the derived PostgreSQL schema is fresh and both migration folders produce
// exactly their schema. Exit 1 on any drift.
import { existsSync, readFileSync } from "node:fs";
import { checkDrift, type Provider } from "../src/db/migrate.ts";
import { derivePostgresSchema, POSTGRES_SCHEMA, SQLITE_SCHEMA } from "./derive-postgres-schema.ts";

async function main(): Promise<number> {
  let ok = true;
  const derived = derivePostgresSchema(readFileSync(SQLITE_SCHEMA, "utf8"));
  if (existsSync(POSTGRES_SCHEMA) && readFileSync(POSTGRES_SCHEMA, "utf8") === derived) {
    console.log("schema: prisma/postgresql/schema.prisma is up to date");
  } else {
    ok = false;
    console.log("schema: prisma/postgresql/schema.prisma is stale (run `npm run db:derive`)");
  }
  const scripts: string[] = [];
  for (const provider of ["sqlite", "postgresql"] satisfies Provider[]) {
    const { inSync, script } = await checkDrift(provider);
    if (inSync) {
      console.log(`${provider}: migrations match the schema`);
    } else {
      ok = false;
      console.log(`${provider}: DRIFT, the schema differs from the migrations (run \`npm run db:create -- NAME\`)`);
      scripts.push(`-- ${provider}: SQL the next migration needs\n${script}`);
    }
  }
  if (scripts.length > 0) console.error(`\n${scripts.join("\n\n")}`);
  return ok ? 0 : 1;
}

// The engine and pg pools can keep the event loop alive: exit explicitly.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
