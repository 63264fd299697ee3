// Serves the console's build (console/dist) under /console: hashed assets cached for a year,
// index.html never cached (it names the current assets), and every other path inside the
// console answered with index.html so the single-page app's routes survive a reload. Assets are
// sent as the build precompressed them (name.br, name.gz; console/vite.config.ts), chosen by the
// request's Accept-Encoding, with Content-Encoding and Vary: Accept-Encoding; nothing is
// compressed per request.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync, FastifyReply } from "fastify";

/**
 * Scripts and styles only from this origin, no inline scripts; inline styles are allowed for
 * the component library's positioning. Images may be app logos on other hosts (https only).
 */
export const CONSOLE_SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

/**
 * The precompressed encoding to send for an Accept-Encoding header (RFC 9110 §12.5.3): br or
 * gzip, whichever has the higher q (br on a tie), never one refused with q=0; null for identity.
 */
export function preferredEncoding(header: string | string[] | undefined): "br" | "gzip" | null {
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  const q = new Map<string, number>();
  for (const part of text.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const of = (name: string) => q.get(name) ?? (name === "gzip" ? q.get("x-gzip") : undefined) ?? q.get("*") ?? 0;
  const br = of("br");
  const gzip = of("gzip");
  if (br <= 0 && gzip <= 0) return null;
  return br >= gzip ? "br" : "gzip";
}

/** The console's build, in the package folder (a checkout, or an installed package without console/'s sources). */
function consoleDist(): string {
  return process.env.CONSOLE_DIST ?? join(PACKAGE_ROOT, "console", "dist");
}

export const consoleRoutes: FastifyPluginAsync = async (app) => {
  const root = consoleDist();
  const indexPath = join(root, "index.html");
  const sendIndex = (reply: FastifyReply) => {
    reply.headers({ ...CONSOLE_SECURITY_HEADERS, "cache-control": "no-store", "content-type": "text/html; charset=utf-8" });
    if (!existsSync(indexPath)) {
      return reply
        .status(503)
        .send("<!doctype html><title>Console not built</title><p>The console has not been built. Run <code>npm run console:build</code>.</p>");
    }
    // Read per request: a rebuild while the server runs is picked up, and the file is small.
    reply.header("vary", "Accept-Encoding");
    const encoding = preferredEncoding(reply.request.headers["accept-encoding"]);
    const compressed = encoding ? `${indexPath}${encoding === "br" ? ".br" : ".gz"}` : null;
    if (compressed && existsSync(compressed)) return reply.header("content-encoding", encoding).send(readFileSync(compressed));
    return reply.send(readFileSync(indexPath));
  };

  app.addHook("onSend", async (_request, reply) => {
    reply.headers(CONSOLE_SECURITY_HEADERS);
  });
  await app.register(fastifyStatic, {
    root: join(root, "assets"),
    prefix: "/assets/",
    index: false,
    wildcard: true,
    maxAge: "365d",
    immutable: true,
    preCompressed: true,
  });
  app.get("/", async (_req, reply) => sendIndex(reply));
  app.get("/*", async (req, reply) => {
    // A missing asset is a 404, never the page: a stale index must not get HTML for a script.
    if (req.url.startsWith("/console/assets/")) return reply.status(404).send({ error: "not found" });
    return sendIndex(reply);
  });
};
