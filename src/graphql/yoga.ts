// Mounts graphql-yoga on Fastify at /graphql. Every operation needs a bearer token issued by
// this server; without one the answer is HTTP 401 with an RFC 6750 challenge.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GraphQLError } from "graphql";
import { createYoga } from "graphql-yoga";
import { ForbiddenError, NotFoundError, ValidationError } from "../applications/errors.ts";
import { InvalidTokenError, principalFromBearer } from "../auth/bearer.ts";
import type { Principal } from "../auth/principal.ts";
import type { Services } from "../services.ts";
import type { GraphQLContext } from "./context.ts";
import { QueryResponseCache, type GraphQLBody } from "./response-cache.ts";
import { schema } from "./schema.ts";

const ANONYMOUS: Principal = { subject: "anonymous", clientId: "", organizationId: null, isOperator: false, scopes: new Set() };

export async function mountGraphQL(app: FastifyInstance, services: Services): Promise<void> {
  const graphiql = services.config.env !== "production";
  const cache = new QueryResponseCache(services.db);
  const yoga = createYoga<{ req: FastifyRequest; reply: FastifyReply; principal: Principal }, GraphQLContext>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql,
    landingPage: false,
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
        app.log.error(error);
        return new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
      },
    },
    logging: {
      debug: (...args) => app.log.debug(args),
      info: (...args) => app.log.info(args),
      warn: (...args) => app.log.warn(args),
      error: (...args) => app.log.error(args),
    },
    context: ({ principal }) => ({
      db: services.db,
      config: services.config,
      catalog: services.catalog,
      services,
      principal,
    }),
  });

  app.route({
    url: "/graphql",
    method: ["GET", "POST", "OPTIONS"],
    handler: async (req, reply) => {
      let principal = ANONYMOUS;
      const wantsGraphiQL = graphiql && req.method === "GET" && (req.headers.accept ?? "").includes("text/html");
      if (req.method !== "OPTIONS" && !wantsGraphiQL) {
        try {
          principal = await principalFromBearer(req.headers.authorization, services);
        } catch (err) {
          if (!(err instanceof InvalidTokenError)) throw err;
          return reply
            .status(401)
            .header("www-authenticate", `Bearer realm="scopekeeper", error="invalid_token", error_description="${err.message}"`)
            .send({ errors: [{ message: err.message, extensions: { code: "UNAUTHENTICATED" } }] });
        }
      }
      const cacheKey =
        req.method === "POST" && req.body && typeof req.body === "object" && principal !== ANONYMOUS
          ? await cache.keyFor(principal, req.body as GraphQLBody, req.headers.accept ?? "")
          : null;
      const cached = cacheKey ? cache.get(cacheKey) : undefined;
      if (cached !== undefined) {
        return reply.status(200).header("content-type", cached.contentType).send(cached.body);
      }
      const response = await yoga.handleNodeRequestAndResponse(req, reply, { req, reply, principal });
      response.headers.forEach((value, key) => reply.header(key, value));
      reply.status(response.status);
      if (!cacheKey || response.status !== 200) return reply.send(response.body);
      const text = await response.text();
      // Only complete answers are reused: an error may be transient.
      if (!text.includes('"errors"')) cache.set(cacheKey, { body: text, contentType: response.headers.get("content-type") ?? "application/json" });
      return reply.send(text);
    },
  });
}
