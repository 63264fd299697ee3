// HTTP hardening in one place, registered once before any route: body limits per route,
// request and keep-alive timeouts, security headers (helmet's), CORS only where a browser
// client needs it, and no-store on every answer that may carry a token.
//
// Both header sets are built once, not per request: @fastify/helmet ran helmet's middleware
// (which joins its CSP directives) and @fastify/cors's delegator normalised its options on
// every request, together 14% of the token endpoint's event loop (`npm run bench -- --profile
// --quick`, 08:58, quiet machine). None of these headers depends on the request.
// Pages with their own needs (sign-in, console, GraphiQL) set their own CSP on top; see
// PAGE_SECURITY_HEADERS, CONSOLE_SECURITY_HEADERS and GRAPHIQL_CSP.
import type { FastifyInstance } from "fastify";
import helmet from "helmet";
import type { IncomingMessage, ServerOptions, ServerResponse } from "node:http";
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
  "/oauth/par",
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

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "WWW-Authenticate, X-Request-Id, Retry-After, DPoP-Nonce",
};
const PREFLIGHT_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST",
  "access-control-allow-headers": "Authorization, Content-Type, DPoP",
  "access-control-max-age": "600",
};

/** The headers helmet sets with these options, read once from its middleware. */
function helmetHeaders(config: Config): Record<string, string> {
  const middleware = helmet({
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
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let done = false;
  middleware({} as IncomingMessage, response as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  // helmet's middleware is synchronous for static options; anything else would be a surprise here.
  if (!done) throw new Error("helmet's middleware did not finish synchronously");
  return headers;
}

export async function installHardening(app: FastifyInstance, config: Config): Promise<void> {
  // Routes under /oauth take small forms (and the JSON of dynamic registration); a route that
  // declares its own bodyLimit keeps it.
  app.addHook("onRoute", (route) => {
    if (route.bodyLimit === undefined && route.url.startsWith("/oauth/")) route.bodyLimit = config.http.oauthBodyLimit;
  });

  const securityHeaders = helmetHeaders(config);
  app.addHook("onRequest", (request, reply, done) => {
    reply.headers(securityHeaders);
    // Any origin, never credentials: these endpoints authenticate by what is sent, not by cookies.
    if (CORS_PATHS.has(pathOf(request.url))) reply.headers(CORS_HEADERS);
    done();
  });
  for (const path of CORS_PATHS) {
    app.options(path, (request, reply) => {
      // A preflight names the method it asks about; anything else is not one.
      if (!request.headers["access-control-request-method"]) return reply.code(400).send({ error: "invalid_request", error_description: "not a CORS preflight request" });
      return reply.code(204).headers(PREFLIGHT_HEADERS).send();
    });
  }

  app.addHook("onSend", async (request, reply, payload) => {
    if (carriesSecrets(pathOf(request.url))) reply.header("cache-control", "no-store");
    // HTTP/1.0 caches know only Pragma (RFC 6749 §5.1 asks for both on token answers).
    if (String(reply.getHeader("cache-control") ?? "").includes("no-store")) reply.header("pragma", "no-cache");
    return payload;
  });
}
