// POST /oauth/token: a list of small named steps every grant passes through, then the grant.
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Services } from "../services.ts";
import { authenticateClient } from "./client-auth.ts";
import { InvalidRequest, UnsupportedGrantType } from "./errors.ts";
import { grants } from "./grants/index.ts";
import { requireForm, singleValuedParams } from "./params.ts";

/** RFC 6749 §5.1; a declared shape lets Fastify serialize it without generic JSON.stringify. */
const TOKEN_RESPONSE_SCHEMA = {
  200: {
    type: "object",
    required: ["access_token", "token_type", "expires_in", "scope"],
    properties: {
      access_token: { type: "string" },
      issued_token_type: { type: "string" },
      token_type: { type: "string" },
      expires_in: { type: "integer" },
      scope: { type: "string" },
      refresh_token: { type: "string" },
      id_token: { type: "string" },
    },
  },
} as const;

export const tokenRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  app.post("/token", { schema: { response: TOKEN_RESPONSE_SCHEMA } }, async (request: FastifyRequest, reply) => {
    requireForm(request);
    const body = singleValuedParams(request.body);
    const grantType = body.grant_type;
    if (!grantType) throw new InvalidRequest("grant_type is required");
    const grant = grants.get(grantType);
    if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    const client = await authenticateClient(request, body, services, { allowPublic: grant.allowsPublicClients ?? false });
    // Only the fields the grant declares reach it, so nothing stray changes its behaviour.
    const params: Record<string, string> = {};
    for (const name of grant.parameters) if (body[name] !== undefined) params[name] = body[name];
    const response = await grant.handler({ client, params, services, request });
    return reply.headers({ "cache-control": "no-store", pragma: "no-cache" }).send(response);
  });
};
