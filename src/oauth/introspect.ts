// POST /oauth/introspect (RFC 7662), for authenticated confidential clients only.
// Anything not active, for whatever reason, is just {"active": false}.
import type { FastifyPluginAsync } from "fastify";
import { InvalidTokenError, verifyAccessToken } from "../auth/access-tokens.ts";
import { sha256 } from "../crypto/random.ts";
import { publicId } from "../ids.ts";
import type { Services } from "../services.ts";
import { authenticateClient } from "./client-auth.ts";
import { InvalidRequest } from "./errors.ts";
import { formParams } from "./params.ts";

export const introspectRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { db, config } = services;

  async function accessToken(token: string) {
    // The one verifier: revoked tokens and those of deleted applications are inactive here too.
    // The token is the question here, not a presentation: a DPoP-bound one is described (RFC 9449 §6.2).
    const verified = await verifyAccessToken(services, token, { presentation: { scheme: "inspect" } }).catch((err: unknown) => {
      if (err instanceof InvalidTokenError) return null;
      throw err;
    });
    if (!verified) return null;
    return { active: true, token_type: verified.payload.cnf ? "DPoP" : "Bearer", ...verified.payload };
  }

  async function refreshToken(token: string, callerId: string) {
    const row = await db.refreshToken.findUnique({ where: { tokenHash: sha256(token) }, include: { application: { select: { clientId: true } } } });
    if (!row || row.applicationId !== callerId || row.rotatedAt || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return null;
    return {
      active: true,
      token_type: "refresh_token",
      scope: row.scopes,
      client_id: row.application.clientId,
      sub: publicId("User", row.userId),
      iss: config.issuer,
      iat: Math.floor(row.createdAt.getTime() / 1000),
      exp: Math.floor(row.expiresAt.getTime() / 1000),
    };
  }

  app.post("/introspect", async (request, reply) => {
    const body = formParams(request);
    const client = await authenticateClient(request, body, services);
    if (!body.token) throw new InvalidRequest("token is required");
    const result =
      body.token_type_hint === "refresh_token"
        ? ((await refreshToken(body.token, client.view.id)) ?? (await accessToken(body.token)))
        : ((await accessToken(body.token)) ?? (await refreshToken(body.token, client.view.id)));
    return reply.header("cache-control", "no-store").send(result ?? { active: false });
  });
};
