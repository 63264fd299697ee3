// Loaded into a profiled Scopekeeper process with --import (plain JS, so tsx is registered only
// once, by bin/scopekeeper.js). At exit it writes the source maps tsx made for the project's
// TypeScript modules to $BENCH_SOURCEMAP_OUT, so bench/top-functions.ts can print .ts line
// numbers instead of positions in tsx's transformed output.
import { readdirSync, writeFileSync } from "node:fs";
import { findSourceMap } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const out = process.env.BENCH_SOURCEMAP_OUT;

function* tsFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules") yield* tsFiles(full);
    } else if (/\.(c|m)?tsx?$/.test(e.name)) yield full;
  }
}

if (out) {
  process.on("exit", () => {
    const maps = {};
    for (const dir of ["src", "plugins", "generated", "bin"]) {
      for (const file of tsFiles(path.resolve(dir))) {
        const url = pathToFileURL(file).href;
        const map = findSourceMap(url) ?? findSourceMap(file);
        if (map) maps[url] = { ...map.payload, sourcesContent: undefined };
      }
    }
    try {
      writeFileSync(out, JSON.stringify(maps));
    } catch {
      // best effort: the profile is still written by --cpu-prof
    }
  });
}
