#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx scopekeeper serve` works right
// after `npm install` with no build step to remember.

// Token signatures run on libuv's thread pool, as does argon2id. A pool larger than the
// default 4 keeps signatures from queueing behind slow argon2 hashes while secrets are being
// created. It must be set before the pool first starts, hence before anything else loads.
process.env.UV_THREADPOOL_SIZE ??= "16";

const { register } = await import("tsx/esm/api");
register();
await import("../src/cli/main.ts");
