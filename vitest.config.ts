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
    // Two files at a time, each with its own database. Vitest's default on this 2-core machine
    // is one (cores - 1), yet most of a file's time is spent waiting on its servers, browsers
    // and timers: two at once took the suite from 280 s to 147 s on SQLite and 172 s on
    // PostgreSQL, all passing.
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    // The files of a worker share one module graph instead of importing the server afresh each:
    // no test file changes process.env or mocks a module, and each starts its own servers on its
    // own database. Under the same load it took the suite's CPU time from about 276 s to 163 s
    // (imports 68 s to 23 s).
    isolate: false,
    // CI also writes a JSON report, from which .ci/run prints one plain summary line per database.
    // The last lines of a run list its ten slowest files (test/helpers/slowest-files.ts).
    reporters: [
      "default",
      "./test/helpers/slowest-files.ts",
      ...(process.env.CI ? [["json", { outputFile: process.env.VITEST_JSON_REPORT ?? "test-output/vitest.json" }] as [string, Record<string, unknown>]] : []),
    ],
  },
});
