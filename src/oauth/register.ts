// POST /oauth/register (RFC 7591) and GET/PUT/DELETE /oauth/register/{client_id} (RFC 7592):
// the HTTP door onto src/applications/registration.ts. Bodies are JSON; every answer carries
// Cache-Control: no-store because it may hold a secret or a token.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { bearerToken } from "../auth/access-tokens.ts";
import { ClientMetadataRefused, RegistrationRequestRefused, RegistrationUnauthorized } from "../applications/registration.ts";
import type { Services } from "../services.ts";

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };
/** Metadata is small: a generous cap that still keeps abuse cheap. */
const BODY_LIMIT = 64 * 1024;

class UnsupportedMediaType extends Error {}

function requireJson(request: FastifyRequest): void {
  const type = (request.headers["content-type"] ?? "").toLowerCase();
  if (!/^application\/json\s*(;|$)/.test(type)) throw new UnsupportedMediaType("the request body must be application/json");
}

function presentedToken(request: FastifyRequest): string | null {
  return bearerToken(request.headers.authorization);
}

/** The RFC 6749/7591/6750 rendering of the registration's refusals. */
function sendRefusal(reply: FastifyReply, error: unknown): FastifyReply | null {
  if (error instanceof RegistrationUnauthorized) {
    return reply
      .status(401)
      .headers({ ...NO_STORE, "www-authenticate": 'Bearer error="invalid_token"' })
      .send({ error: "invalid_token", error_description: error.message });
  }
  if (error instanceof ClientMetadataRefused) {
    return reply.status(400).headers(NO_STORE).send({ error: error.error, error_description: error.message, field_errors: error.fieldErrors });
  }
  if (error instanceof RegistrationRequestRefused) {
    return reply.status(400).headers(NO_STORE).send({ error: "invalid_request", error_description: error.message });
  }
  if (error instanceof UnsupportedMediaType) {
    return reply.status(415).headers(NO_STORE).send({ error: "invalid_request", error_description: error.message });
  }
  return null;
}

export const registerRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { registration } = services;

  /** Runs a handler; the registration's refusals become their RFC answers, anything else goes to the router's handler. */
  const answer = async (reply: FastifyReply, work: () => Promise<FastifyReply>) => {
    try {
      return await work();
    } catch (error) {
      const sent = sendRefusal(reply, error);
      if (sent) return sent;
      throw error;
    }
  };

  app.post("/register", { bodyLimit: BODY_LIMIT }, async (request, reply) =>
    answer(reply, async () => {
      // The token first: without one, nothing about the body is said.
      const token = presentedToken(request);
      if (!token) throw new RegistrationUnauthorized();
      requireJson(request);
      const info = await registration.register(token, request.body);
      return reply.status(201).headers(NO_STORE).send(info);
    }),
  );

  app.get<{ Params: { clientId: string } }>("/register/:clientId", async (request, reply) =>
    answer(reply, async () => reply.status(200).headers(NO_STORE).send(await registration.read(request.params.clientId, presentedToken(request)))),
  );

  app.put<{ Params: { clientId: string } }>("/register/:clientId", { bodyLimit: BODY_LIMIT }, async (request, reply) =>
    answer(reply, async () => {
      const token = presentedToken(request);
      if (!token) throw new RegistrationUnauthorized();
      requireJson(request);
      return reply.status(200).headers(NO_STORE).send(await registration.update(request.params.clientId, token, request.body));
    }),
  );

  app.delete<{ Params: { clientId: string } }>("/register/:clientId", async (request, reply) =>
    answer(reply, async () => {
      await registration.remove(request.params.clientId, presentedToken(request));
      return reply.status(204).headers(NO_STORE).send();
    }),
  );
};
