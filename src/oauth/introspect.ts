// POST /oauth/introspect (RFC 7662), for authenticated confidential clients only.
// Anything not active, for whatever reason, is just {"active": false}.
import type { FastifyPluginAsync } from "fastify";
import { sha256 } from "../crypto/random.ts";
import type { Services } from "../services.ts";
import { authenticateClient } from "./client-auth.ts";
import { InvalidClient, InvalidRequest, OAuthError } from "./errors.ts";
import { requireForm, singleValuedParams } from "./params.ts";

export const introspectRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { db, keys, config } = services;

  async function accessToken(token: string) {
    const verified = await keys.verifyJwt(token, { issuer: config.issuer, typ: "at+jwt" }).catch(() => null);
    if (!verified) return null;
    const p = verified.payload;
    if (typeof p.jti !== "string" || typeof p.client_id !== "string") return null;
    if (await db.revokedAccessToken.findUnique({ where: { jti: p.jti } })) return null;
    // Tokens of a deleted application die with it.
    if (!(await services.clients.get(p.client_id))) return null;
    return { active: true, token_type: "Bearer", ...p };
  }

  async function refreshToken(token: string, callerId: string) {
    const row = await db.refreshToken.findUnique({ where: { tokenHash: sha256(token) }, include: { application: { select: { clientId: true } } } });
    if (!row || row.applicationId !== callerId || row.rotatedAt || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return null;
    return {
      active: true,
      token_type: "refresh_token",
      scope: row.scopes,
      client_id: row.application.clientId,
      sub: row.userId,
      iss: config.issuer,
      iat: Math.floor(row.createdAt.getTime() / 1000),
      exp: Math.floor(row.expiresAt.getTime() / 1000),
    };
  }

  app.post("/introspect", async (request, reply) => {
    requireForm(request);
    const body = singleValuedParams(request.body);
    let client;
    try {
      client = await authenticateClient(request, body, services);
    } catch (err) {
      // No credentials at all is also "not an authenticated confidential client".
      if (err instanceof OAuthError && err.code === "invalid_request" && !request.headers.authorization && !body.client_secret) {
        throw new InvalidClient("introspection requires client authentication");
      }
      throw err;
    }
    if (!body.token) throw new InvalidRequest("token is required");
    const result =
      body.token_type_hint === "refresh_token"
        ? ((await refreshToken(body.token, client.view.id)) ?? (await accessToken(body.token)))
        : ((await accessToken(body.token)) ?? (await refreshToken(body.token, client.view.id)));
    return reply.header("cache-control", "no-store").send(result ?? { active: false });
  });
};
