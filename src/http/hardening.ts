// HTTP hardening in one place, registered once before any route: body limits per route,
// request and keep-alive timeouts, security headers (@fastify/helmet), CORS only where a
// browser client needs it (@fastify/cors), and no-store on every answer that may carry a token.
// Pages with their own needs (sign-in, console, GraphiQL) set their own CSP on top; see
// PAGE_SECURITY_HEADERS, CONSOLE_SECURITY_HEADERS and GRAPHIQL_CSP.
import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import type { ServerOptions } from "node:http";
import type { Config } from "../config/index.ts";

/** Fastify's constructor options for the limits and timeouts of config.http. */
export function httpServerOptions(config: Config): {
  bodyLimit: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionTimeout: number;
  http: ServerOptions;
} {
  const { bodyLimit, requestTimeoutMs, keepAliveTimeoutMs, connectionTimeoutMs } = config.http;
  return {
    bodyLimit,
    // Node answers 408 and closes the socket when headers and body are not all in by then:
    // a client dribbling its body byte by byte (slowloris) cannot hold a connection forever.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    http: {
      headersTimeout: Math.min(60_000, requestTimeoutMs),
      // Node checks the two timeouts above on this interval (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(requestTimeoutMs / 4))),
    },
  };
}

/**
 * Endpoints a browser application on another origin calls itself (OAuth 2.0 for Browser-Based
 * Apps: a public client with PKCE redeems its code, refreshes, revokes and reads userinfo; every
 * client reads discovery and keys). Never the pages (/oauth/authorize, sign-in, consent), never
 * introspection (resource servers call it, with a secret), never /graphql (the console is on
 * this origin).
 */
const CORS_PATHS = new Set([
  "/oauth/token",
  "/oauth/revoke",
  "/oauth/userinfo",
  "/.well-known/oauth-authorization-server",
  "/.well-known/openid-configuration",
  "/.well-known/jwks.json",
]);

/** Answers that may hold a token, a secret, a code or a session: never stored by a cache. */
function carriesSecrets(path: string): boolean {
  return (path.startsWith("/oauth/") || path === "/graphql") && !path.startsWith("/graphql/assets/");
}

const pathOf = (url: string) => url.split("?", 1)[0]!;

export async function installHardening(app: FastifyInstance, config: Config): Promise<void> {
  // Routes under /oauth take small forms (and the JSON of dynamic registration); a route that
  // declares its own bodyLimit keeps it.
  app.addHook("onRoute", (route) => {
    if (route.bodyLimit === undefined && route.url.startsWith("/oauth/")) route.bodyLimit = config.http.oauthBodyLimit;
  });

  await app.register(helmet, {
    // The default for everything that is not a page (JSON, errors, redirects): nothing may load.
    // Pages replace it with their own policy, none of which allows an inline script.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], frameAncestors: ["'none'"] },
    },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    // HSTS only means something over https; on http://127.0.0.1 it is noise.
    strictTransportSecurity: config.issuer.startsWith("https://") ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    // CORS-mode requests are not affected by CORP; no-cors embedding elsewhere is refused.
    crossOriginResourcePolicy: { policy: "same-origin" },
  });

  await app.register(cors, {
    delegator: (request, callback) => {
      const allowed = CORS_PATHS.has(pathOf(request.url ?? ""));
      // Any origin, never credentials: these endpoints authenticate by what is sent, not by cookies.
      callback(
        null,
        allowed
          ? { origin: "*", methods: ["GET", "POST"], allowedHeaders: ["Authorization", "Content-Type", "DPoP"], exposedHeaders: ["WWW-Authenticate", "X-Request-Id", "Retry-After"], maxAge: 600 }
          : { origin: false },
      );
    },
  });

  app.addHook("onSend", async (request, reply, payload) => {
    if (carriesSecrets(pathOf(request.url))) reply.header("cache-control", "no-store");
    // HTTP/1.0 caches know only Pragma (RFC 6749 §5.1 asks for both on token answers).
    if (String(reply.getHeader("cache-control") ?? "").includes("no-store")) reply.header("pragma", "no-cache");
    return payload;
  });
}
