import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel on the two cores; each file gets its own database.
    pool: "forks",
    fileParallelism: true,
    reporters: ["default"],
  },
});
