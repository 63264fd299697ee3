// Prints the Pothos schema to schema.graphql; `--check` fails when the checked-in file is stale.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { printSchema } from "graphql";
import { schema } from "../src/graphql/schema.ts";

const fileArg = process.argv.indexOf("--file");
const file = fileArg > 0 ? path.resolve(process.argv[fileArg + 1]!) : path.resolve(import.meta.dirname, "../schema.graphql");
const printed = `# Generated from the Pothos schema by \`npm run schema:print\`: do not edit by hand.\n\n${printSchema(schema)}\n`;

if (process.argv.includes("--check")) {
  const current = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (current !== printed) {
    console.error("schema.graphql is stale: run `npm run schema:print` and commit the result");
    process.exit(1);
  }
  console.log("schema.graphql is up to date");
} else {
  writeFileSync(file, printed);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
