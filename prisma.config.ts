import path from "node:path";
import { defineConfig } from "prisma/config";

// Prisma's CLI insists on a native schema-engine binary that cannot be downloaded here.
// `generate` only checks that it exists; migrations go through src/db/schema-engine.ts.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve(import.meta.dirname, "scripts/no-schema-engine.sh");

export default defineConfig({
  schema: "prisma/schema.prisma",
});
