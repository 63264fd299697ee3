// POST /oauth/register (RFC 7591) and GET/PUT/DELETE /oauth/register/{client_id} (RFC 7592):
// the HTTP door onto src/applications/registration.ts. Bodies are JSON; every answer carries
// Cache-Control: no-store because it may hold a secret or a token.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { bearerToken } from "../auth/access-tokens.ts";
import { ClientMetadataRefused, RegistrationRequestRefused, RegistrationUnauthorized } from "../applications/registration.ts";
import type { Services } from "../services.ts";
import { throttleAddress } from "../throttles/addresses.ts";
import { Throttled } from "../throttles/throttled.ts";
import { TooManyRequests } from "./errors.ts";

// Bodies take the /oauth routes' cap (OAUTH_BODY_LIMIT, 16 KiB by default: src/http/hardening.ts).
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

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

  /**
   * Runs a handler; the registration's refusals become their RFC answers, anything else goes to
   * the router's handler. At POST /register a refused initial access token counts as a failed
   * client authentication from that address: guessing them is throttled like guessing secrets
   * (a registration access token is checked against one client's hash, never a search).
   */
  const answer = async (request: FastifyRequest, reply: FastifyReply, work: () => Promise<FastifyReply>, throttled = false) => {
    try {
      return await work();
    } catch (error) {
      if (throttled && error instanceof RegistrationUnauthorized) {
        try {
          await services.throttles.clientAuthentication.recordFailure(
            { address: throttleAddress(request.ip), subject: null },
            { clientId: "registration", applicationId: null, organizationId: null },
          );
        } catch (refusal) {
          if (refusal instanceof Throttled) throw new TooManyRequests(refusal.retryAfterSeconds);
          throw refusal;
        }
      }
      const sent = sendRefusal(reply, error);
      if (sent) return sent;
      throw error;
    }
  };

  app.post("/register", async (request, reply) =>
    answer(request, reply, async () => {
      // The token first: without one, nothing about the body is said.
      const token = presentedToken(request);
      if (!token) throw new RegistrationUnauthorized();
      requireJson(request);
      const info = await registration.register(token, request.body);
      return reply.status(201).headers(NO_STORE).send(info);
    }, true),
  );

  app.get<{ Params: { clientId: string } }>("/register/:clientId", async (request, reply) =>
    answer(request, reply, async () => reply.status(200).headers(NO_STORE).send(await registration.read(request.params.clientId, presentedToken(request)))),
  );

  app.put<{ Params: { clientId: string } }>("/register/:clientId", async (request, reply) =>
    answer(request, reply, async () => {
      const token = presentedToken(request);
      if (!token) throw new RegistrationUnauthorized();
      requireJson(request);
      return reply.status(200).headers(NO_STORE).send(await registration.update(request.params.clientId, token, request.body));
    }),
  );

  app.delete<{ Params: { clientId: string } }>("/register/:clientId", async (request, reply) =>
    answer(request, reply, async () => {
      await registration.remove(request.params.clientId, presentedToken(request));
      return reply.status(204).headers(NO_STORE).send();
    }),
  );
};
