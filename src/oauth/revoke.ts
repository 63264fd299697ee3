// POST /oauth/revoke (RFC 7009). Refresh tokens revoke their whole family and the access
// tokens issued with it; access tokens are revoked by jti. Consents are never touched.
// Unknown tokens, and tokens of other clients, are answered 200 like any other: nothing leaks.
import type { FastifyPluginAsync } from "fastify";
import { sha256 } from "../crypto/random.ts";
import type { Services } from "../services.ts";
import { authenticateClient } from "./client-auth.ts";
import { InvalidRequest } from "./errors.ts";
import { formParams } from "./params.ts";
import { revokeAccessTokenId, revokeFamily } from "../auth/revocation-notes.ts";

export const revokeRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { db, keys, config, revocations } = services;

  app.post("/revoke", async (request, reply) => {
    const body = formParams(request);
    const client = await authenticateClient(request, body, services, { allowPublic: true });
    const token = body.token;
    if (!token) throw new InvalidRequest("token is required");
    const hint = body.token_type_hint;

    const tryRefresh = async () => {
      const row = await db.refreshToken.findUnique({ where: { tokenHash: sha256(token) } });
      if (!row) return false;
      if (row.applicationId === client.view.id) await db.$transaction((tx) => revokeFamily(tx, revocations, row.familyId));
      return true;
    };
    const tryAccess = async () => {
      const payload = await keys.verifySignature(token).catch(() => null);
      if (!payload || payload.iss !== config.issuer || typeof payload.jti !== "string") return false;
      if (payload.client_id === client.view.clientId && typeof payload.exp === "number") {
        await revokeAccessTokenId(db, revocations, payload.jti, new Date(payload.exp * 1000));
      }
      return true;
    };
    // The hint only orders the look-ups (RFC 7009 §2.1).
    if (hint === "access_token") (await tryAccess()) || (await tryRefresh());
    else (await tryRefresh()) || (await tryAccess());
    return reply.header("cache-control", "no-store").status(200).send();
  });
};
