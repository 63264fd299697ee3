import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships .mjs and .js builds; Node (and so Pothos and Yoga) loads the .js one,
    // so the sources under test must too, or instanceof checks fail across the two copies.
    alias: { graphql: require.resolve("graphql") },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel on the two cores; each file gets its own database.
    pool: "forks",
    fileParallelism: true,
    // CI also writes a JSON report, from which .ci/run prints one plain summary line per database.
    reporters: process.env.CI ? ["default", ["json", { outputFile: process.env.VITEST_JSON_REPORT ?? "test-output/vitest.json" }]] : ["default"],
  },
});
