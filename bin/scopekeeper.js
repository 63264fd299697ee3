#!/usr/bin/env node
// Runs the compiled server (dist/, built by `npm install` or `npm run build`).

// Token signatures run on libuv's thread pool, as does argon2id. A pool larger than the
// default 4 keeps signatures from queueing behind slow argon2 hashes while secrets are being
// created. It must be set before the pool first starts, hence before anything else loads.
process.env.UV_THREADPOOL_SIZE ??= "16";

const entry = new URL("../dist/src/cli/main.js", import.meta.url);
let cli;
try {
  cli = await import(entry.href);
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes(entry.pathname)) {
    console.error("scopekeeper: the server is not built yet: run `npm run build` (npm install does it too)");
    process.exit(1);
  }
  throw err;
}
const code = await cli.runCli(process.argv.slice(2));
if (code !== "running") process.exit(code);
