// The admin API as a Fastify route handler over Yoga. Every operation needs a bearer token
// issued by this server; without one the answer is HTTP 401 with an RFC 6750 challenge. The
// principal is resolved here, once per request (src/access/resolve.ts), and handed to Yoga as
// its server context; nothing else reads the Authorization header.
import { PothosValidationError } from "@pothos/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { GraphQLError } from "graphql";
import { createYoga } from "graphql-yoga";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors.ts";
import { InvalidTokenError, principalFromBearer } from "../access/resolve.ts";
import { NOBODY, type Principal } from "../access/principal.ts";
import type { Services } from "../services.ts";
import type { GraphQLContext } from "./context.ts";
import { createResponseCache, type CacheContext } from "./response-cache.ts";
import { documentLimitPlugins } from "./limits.ts";
import { useIntrospectionForAdmins } from "./introspection.ts";
import { useNoNulInQueryArguments } from "./nul-arguments.ts";
import { schema } from "./schema.ts";
import { renderGraphiQL } from "./graphiql.ts";

export interface AdminLog {
  error(value: unknown): void;
}

const ANONYMOUS = NOBODY;

export function createAdminHandler(services: Services, log: AdminLog): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  const graphiql = services.config.env !== "production";
  const cache = createResponseCache({ ttlMs: services.config.graphqlResponseCacheTtlMs });
  const yoga = createYoga<CacheContext, GraphQLContext>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql,
    renderGraphiQL,
    landingPage: false,
    logging: false,
    plugins: [
      ...documentLimitPlugins(services.config),
      useIntrospectionForAdmins(services.config),
      useNoNulInQueryArguments(),
      ...cache.plugins,
    ],
    // The console is on this origin; no other site's script may call the admin API.
    cors: false,
    // Unexpected failures are masked; domain errors thrown by queries keep their message and
    // get a stable code (mutations return them as typed union members instead).
    maskedErrors: {
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof ForbiddenError || original instanceof NotFoundError || original instanceof ValidationError) {
          const code = original instanceof ForbiddenError ? "FORBIDDEN" : original instanceof NotFoundError ? "NOT_FOUND" : "BAD_USER_INPUT";
          return new GraphQLError(original.message, {
            ...(error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {}),
            extensions: { code },
          });
        }
        if (error instanceof GraphQLError && !error.originalError) return error;
        // The client's mistakes: a variable that does not fit its type, paging arguments
        // out of range. They name the problem; they are not server failures.
        if (error instanceof GraphQLError && (original instanceof GraphQLError || original instanceof PothosValidationError)) {
          return new GraphQLError(error.message, {
            nodes: error.nodes,
            path: error.path,
            extensions: { ...error.extensions, code: original instanceof GraphQLError ? (original.extensions.code ?? "BAD_USER_INPUT") : "BAD_USER_INPUT" },
          });
        }
        log.error(error);
        return new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
      },
    },
    context: ({ principal }) => ({ db: services.db, config: services.config, catalog: services.catalog, services, principal }),
  });

  return async (req, reply) => {
    // Answers may carry a secret shown once (addClientSecret, invitation links): never stored
    // by a browser or a proxy.
    reply.header("cache-control", "no-store");
    let principal = ANONYMOUS;
    const accept = req.headers.accept ?? "";
    const wantsGraphiQL = graphiql && req.method === "GET" && accept.includes("text/html");
    if (req.method !== "OPTIONS" && !wantsGraphiQL) {
      try {
        principal = await principalFromBearer(req.headers.authorization, services);
      } catch (err) {
        if (!(err instanceof InvalidTokenError)) throw err;
        return reply
          .status(401)
          .headers({
            "content-type": "application/json; charset=utf-8",
            "www-authenticate": `Bearer realm="scopekeeper", error="invalid_token", error_description="${err.message}"`,
          })
          .send(JSON.stringify({ errors: [{ message: err.message, extensions: { code: "UNAUTHENTICATED" } }] }));
      }
    }
    // Yoga takes the body Fastify parsed as is (no second JSON parse).
    const seen = req.method === "POST" ? cache.remember(principal, req.body) : { repeated: false, requestKey: null };
    const response = await yoga.handleNodeRequestAndResponse(req, reply, { principal, ...seen });
    const body = await response.text();
    response.headers.forEach((value, key) => void reply.header(key, value));
    return reply.status(response.status).send(body);
  };
}
