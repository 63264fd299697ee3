// Derives prisma/postgresql/schema.prisma from prisma/schema.prisma (the source of truth).
// `--check` exits 1 when the derived file is stale instead of writing it.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
export const SQLITE_SCHEMA = path.join(root, "prisma/schema.prisma");
export const POSTGRES_SCHEMA = path.join(root, "prisma/postgresql/schema.prisma");

export function derivePostgresSchema(sqlite: string): string {
  const header =
    "// GENERATED from prisma/schema.prisma by `npm run db:derive`: do not edit by hand.\n";
  let out = sqlite
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace('output       = "../generated/sqlite"', 'output       = "../../generated/postgresql"')
    // Pothos types are generated once, from the SQLite schema: the model is the same.
    .replace(/generator pothos \{[^}]*\}\n\n/, "");
  if (out.includes('"sqlite"') || out.includes("generated/sqlite")) {
    throw new Error("derive-postgres-schema: the SQLite schema changed shape; update this script");
  }
  out = header + out;
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const expected = derivePostgresSchema(readFileSync(SQLITE_SCHEMA, "utf8"));
  if (process.argv.includes("--check")) {
    const actual = existsSync(POSTGRES_SCHEMA) ? readFileSync(POSTGRES_SCHEMA, "utf8") : "";
    if (actual !== expected) {
      console.error("prisma/postgresql/schema.prisma is stale: run `npm run db:derive`");
      process.exit(1);
    }
  } else {
    writeFileSync(POSTGRES_SCHEMA, expected);
  }
}
