// GET|POST /oauth/userinfo (OpenID Connect Core §5.3): the claims the token's scopes release.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../services.ts";
import { identityClaims } from "./user-tokens.ts";

export const userinfoRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { db, keys, config } = services;

  const challenge = (reply: FastifyReply, status: number, error: string, description: string) =>
    reply
      .status(status)
      .header("www-authenticate", `Bearer error="${error}", error_description="${description}"`)
      .send({ error, error_description: description });

  async function handler(request: FastifyRequest, reply: FastifyReply) {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
    if (!match) return challenge(reply, 401, "invalid_token", "an access token is required");
    const verified = await keys.verifyJwt(match[1]!, { issuer: config.issuer, audience: config.issuer, typ: "at+jwt" }).catch(() => null);
    const p = verified?.payload;
    if (!p || typeof p.jti !== "string" || (await db.revokedAccessToken.findUnique({ where: { jti: p.jti } }))) {
      return challenge(reply, 401, "invalid_token", "the access token is invalid, expired or revoked");
    }
    const scopes = typeof p.scope === "string" ? p.scope.split(" ") : [];
    if (!scopes.includes("openid")) return challenge(reply, 403, "insufficient_scope", "the access token lacks the openid scope");
    const user = await db.user.findUnique({ where: { id: String(p.sub) } });
    if (!user) return challenge(reply, 401, "invalid_token", "the user no longer exists");
    return reply.header("cache-control", "no-store").send({ sub: user.id, ...identityClaims(scopes, user) });
  }

  app.get("/userinfo", handler);
  app.post("/userinfo", handler);
};
