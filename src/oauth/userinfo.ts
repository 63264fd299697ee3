// GET|POST /oauth/userinfo (OpenID Connect Core §5.3): the claims the token's scopes release.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../services.ts";
import { challengeFor, InvalidTokenError, presentedAccessToken, verifyAccessToken } from "../auth/access-tokens.ts";
import { publicId } from "../ids.ts";
import { identityClaims } from "./issuance/index.ts";

export const userinfoRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { db, config } = services;

  const challenge = (reply: FastifyReply, status: number, error: string, description: string) =>
    reply
      .status(status)
      .header("www-authenticate", `Bearer error="${error}", error_description="${description}"`)
      .send({ error, error_description: description });

  async function handler(request: FastifyRequest, reply: FastifyReply) {
    const presented = presentedAccessToken(request.headers.authorization, request.headers.dpop, { htm: request.method, htu: `${config.issuer}/oauth/userinfo` });
    if (!presented) return challenge(reply, 401, "invalid_token", "an access token is required");
    let verified;
    try {
      verified = await verifyAccessToken(services, presented.token, { audience: config.issuer, presentation: presented.presentation });
    } catch (err) {
      if (err instanceof InvalidTokenError) return reply.status(401).headers(challengeFor(err)).send({ error: err.code, error_description: err.message });
      throw err;
    }
    const scopes = [...verified.scopes];
    if (!verified.scopes.has("openid")) return challenge(reply, 403, "insufficient_scope", "the access token lacks the openid scope");
    const user = verified.userId ? await db.user.findUnique({ where: { id: verified.userId } }) : null;
    if (!user) return challenge(reply, 401, "invalid_token", "the token does not act for a person who still exists");
    return reply.header("cache-control", "no-store").send({ sub: publicId("User", user.id), ...identityClaims(scopes, user) });
  }

  app.get("/userinfo", handler);
  app.post("/userinfo", handler);
};
