// The console's build: served by the server under /console with hashed asset names.
// `npm run console:dev` serves it with hot reload and proxies the API to a running server
// (SCOPEKEEPER_URL, default http://127.0.0.1:3000); start that server with
// ISSUER=http://127.0.0.1:5173 so the console's redirect URI lands on this dev server.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

/**
 * Precompresses the built text assets once, at build time (brotli at its best quality, gzip at
 * level 9), as name.br and name.gz beside each file, so the server sends them as they are
 * (@fastify/static's preCompressed) instead of compressing per request. A file that would not
 * shrink by at least 5% is left alone.
 */
function precompress(): Plugin {
  let outDir = "";
  return {
    name: "scopekeeper-precompress",
    apply: "build",
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const file = join(dir, name);
          return statSync(file).isDirectory() ? walk(file) : [file];
        });
      for (const file of walk(outDir)) {
        if (!/\.(js|mjs|css|html|svg|json|txt|map)$/.test(file)) continue;
        const raw = readFileSync(file);
        const br = brotliCompressSync(raw, {
          params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
        });
        const gz = gzipSync(raw, { level: 9 });
        if (br.length < raw.length * 0.95) writeFileSync(`${file}.br`, br);
        if (gz.length < raw.length * 0.95) writeFileSync(`${file}.gz`, gz);
      }
    },
  };
}

const target = process.env.SCOPEKEEPER_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  root: import.meta.dirname,
  base: "/console/",
  plugins: [react(), precompress()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    // Nothing inlined as data: URLs: every asset is a file under the CSP's 'self'.
    assetsInlineLimit: 0,
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: {
      "/graphql": target,
      "/oauth": target,
      "/.well-known": target,
    },
  },
});
