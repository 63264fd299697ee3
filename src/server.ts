// The HTTP server: Fastify with the OAuth sub-router, the well-known documents, health
// checks and the GraphQL admin API. Everything it serves comes from `services`.
import Fastify, { LogController, type FastifyInstance } from "fastify";
import { randomUUID } from "node:crypto";
import { loggerOptions } from "./logger.ts";
import { httpServerOptions, installHardening } from "./http/hardening.ts";
import { databaseReachable } from "./observability/readiness.ts";
import { authorizationServerMetadata } from "./oauth/metadata.ts";
import { oauthRouter } from "./oauth/router.ts";
import { grants } from "./oauth/grants/index.ts";
import { TOKEN_ENDPOINT_AUTH_METHODS } from "./oauth/client-auth.ts";
import { mountGraphQL } from "./graphql/yoga.ts";
import { mountGraphiQLAssets } from "./graphql/graphiql.ts";
import { ensureConsoleClient } from "./applications/console-client.ts";
import { consoleRoutes } from "./ui/console.ts";
import type { Services } from "./services.ts";
import { homeRoutes } from "./ui/home.ts";

export async function buildServer(services: Services, options: { logStream?: NodeJS.WritableStream } = {}): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    logger: loggerOptions(config, options.logStream),
    // Per-request lines only when debugging: the token endpoint's hot path stays quiet.
    logController: new LogController({ disableRequestLogging: config.logLevel !== "debug" && config.logLevel !== "trace" }),
    // TRUST_PROXY: whose X-Forwarded-For sets request.ip (the address the throttles count).
    trustProxy: config.trustProxy,
    // Every request gets an id, echoed as X-Request-Id and in its log lines; a caller's own id
    // is kept when it looks like one, so a request can be followed across services.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[A-Za-z0-9._-]{1,100}$/.test(given) ? given : randomUUID();
    },
    ...httpServerOptions(config),
  });
  await installHardening(app, config);
  // A throttle store outage is one line in the server's log (src/throttles/throttles.ts).
  services.throttles.setLog((line) => app.log.error(line));
  services.mailer.useLog(app.log);

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  // prom-client (and its default collectors) load only when /metrics is configured.
  if (services.config.metrics.token || services.config.metrics.port) {
    const { installMetrics } = await import("./observability/metrics.ts");
    await installMetrics(app, services);
  }

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    if (await databaseReachable(services.db)) return { status: "ready" };
    return reply.status(503).send({ status: "unavailable", reason: "database unreachable" });
  });

  const metadata = authorizationServerMetadata({
    issuer: config.issuer,
    grantTypes: [...grants.keys()],
    tokenEndpointAuthMethods: TOKEN_ENDPOINT_AUTH_METHODS,
    scopes: services.catalog.hubs.flatMap((h) => h.scopes.map((s) => s.name)),
    endpoints: {
      authorization: "/oauth/authorize",
      token: "/oauth/token",
      revocation: "/oauth/revoke",
      introspection: "/oauth/introspect",
      userinfo: "/oauth/userinfo",
      endSession: "/oauth/logout",
      registration: "/oauth/register",
      deviceAuthorization: "/oauth/device_authorization",
      pushedAuthorizationRequest: "/oauth/par",
    },
    requirePushedAuthorizationRequests: config.requirePushedAuthorizationRequests,
  });
  // CORS for these documents comes from src/http/hardening.ts.
  const wellKnownHeaders = { "cache-control": "public, max-age=300" };
  app.get("/.well-known/oauth-authorization-server", async (_req, reply) => reply.headers(wellKnownHeaders).send(metadata));
  app.get("/.well-known/openid-configuration", async (_req, reply) =>
    reply.headers(wellKnownHeaders).send({
      ...metadata,
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256"],
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email", "email_verified", "name"],
    }),
  );
  app.get("/.well-known/jwks.json", async (_req, reply) => {
    // Short cache: a rotation must reach resource servers well before the old key retires.
    return reply.headers({ "cache-control": "public, max-age=60" }).send(services.keys.jwks());
  });

  // The console's redirect URI follows ISSUER, so it is put right at every start.
  await ensureConsoleClient(services.db, config.issuer);
  await services.changes.announce("application", "scopekeeper-console");
  await app.register(homeRoutes, { config, db: services.db });
  await app.register(oauthRouter, { prefix: "/oauth", services });
  await app.register(consoleRoutes, { prefix: "/console" });
  if (config.env !== "production") mountGraphiQLAssets(app);
  await mountGraphQL(app, services);
  app.addHook("onClose", async () => services.close());
  return app;
}
