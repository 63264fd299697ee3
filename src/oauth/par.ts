// POST /oauth/par: pushed authorization requests (RFC 9126). The client authenticates as at the
// token endpoint (every method it accepts, public clients by client_id), its authorization
// parameters are validated by the one check /oauth/authorize uses, and it gets a request_uri to
// send the browser with. The reference is 256 random bits; only its hash is stored, so every
// process sharing the database resolves it and a leaked database holds no usable request_uri.
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import { sha256 } from "../crypto/random.ts";
import type { Services } from "../services.ts";
import { AUTHORIZATION_PARAMETERS, checkAuthorizationRequest, PUSHED_REQUEST_TTL_SECONDS, REQUEST_URI_PREFIX } from "./authorize-request.ts";
import { authenticateClient } from "./client-auth.ts";
import { DpopProofError, DpopStoreUnavailable } from "../auth/dpop.ts";
import { AuthorizationRequestRefused, InvalidDpopProof, TemporarilyUnavailable, UnauthorizedClient } from "./errors.ts";
import { formParams } from "./params.ts";

export const PAR_PATH = "/oauth/par";

export const parRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  // RFC 9126 §2.3: any other method is 405.
  app.route({
    method: ["GET", "PUT", "PATCH", "DELETE"],
    url: "/par",
    handler: async (_request, reply) =>
      reply.status(405).headers({ allow: "POST", "cache-control": "no-store" }).send({ error: "invalid_request", error_description: "use POST to push an authorization request" }),
  });

  app.post("/par", async (request, reply) => {
    const body = formParams(request);
    const client = await authenticateClient(request, body, services, { allowPublic: true });
    // The authenticated client is the request's client, whatever else the body says.
    const raw: Record<string, unknown> = { client_id: client.view.clientId };
    for (const name of AUTHORIZATION_PARAMETERS) if (name !== "client_id" && body[name] !== undefined) raw[name] = body[name];
    if (body.request_uri !== undefined) raw.request_uri = body.request_uri;
    // RFC 9449 §10.1: a DPoP proof sent with the push binds the code to its key, as dpop_jkt does.
    const proofJkt = await pushedProofKey(request.headers.dpop, services);
    if (proofJkt) {
      if (body.dpop_jkt !== undefined && body.dpop_jkt !== proofJkt) throw new InvalidDpopProof("dpop_jkt is not the thumbprint of the DPoP proof's key");
      raw.dpop_jkt = proofJkt;
    }

    const check = await checkAuthorizationRequest(raw, services, "either", "push");
    if (check.kind === "page") {
      if (check.error === "invalid_client") throw new UnauthorizedClient("authorization requests are for OAUTH applications acting for a person");
      throw new AuthorizationRequestRefused(check.error, check.message);
    }
    if (check.kind === "redirect") throw new AuthorizationRequestRefused(check.error, check.description);

    const reference = randomBytes(32).toString("base64url");
    const now = new Date();
    await services.db.pushedAuthorizationRequest.create({
      data: {
        requestUriHash: sha256(reference),
        applicationId: check.request.app.id,
        params: JSON.stringify(check.request.params),
        createdAt: now,
        expiresAt: new Date(now.getTime() + PUSHED_REQUEST_TTL_SECONDS * 1000),
      },
    });
    return reply
      .status(201)
      .headers({ "cache-control": "no-store", pragma: "no-cache" })
      .send({ request_uri: `${REQUEST_URI_PREFIX}${reference}`, expires_in: PUSHED_REQUEST_TTL_SECONDS });
  });
};

/** The thumbprint of the key of a valid DPoP proof sent with a push, or null without one. */
async function pushedProofKey(proof: string | string[] | undefined, services: Services): Promise<string | null> {
  if (proof === undefined) return null;
  if (typeof proof !== "string") throw new InvalidDpopProof("send one DPoP header");
  try {
    return (await services.dpop.verify(proof, { htm: "POST", htu: `${services.config.issuer}${PAR_PATH}` })).jkt;
  } catch (err) {
    if (err instanceof DpopProofError) throw new InvalidDpopProof(err.message, err.code, services.dpop.nonce());
    if (err instanceof DpopStoreUnavailable) throw new TemporarilyUnavailable(err.message);
    throw err;
  }
}
