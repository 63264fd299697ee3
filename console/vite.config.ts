// The console's build: served by the server under /console with hashed asset names.
// `npm run console:dev` serves it with hot reload and proxies the API to a running server
// (SCOPEKEEPER_URL, default http://127.0.0.1:3000); start that server with
// ISSUER=http://127.0.0.1:5173 so the console's redirect URI lands on this dev server.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const target = process.env.SCOPEKEEPER_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  root: import.meta.dirname,
  base: "/console/",
  plugins: [react()],
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
