// RFC 6749 §6 with RFC 9700 §4.14: refresh tokens rotate on every use; presenting a rotated
// token again revokes its whole family. Refreshing may narrow the scopes, never widen them,
// and drops scopes revoked from the application since.
import { sha256 } from "../../crypto/random.ts";
import { InvalidGrant, InvalidRequest, InvalidScope } from "../errors.ts";
import { parseScope } from "../scope.ts";
import { issueUserTokens, revokeFamily } from "../user-tokens.ts";
import type { Grant } from "./types.ts";

export const refreshToken: Grant = {
  grantType: "refresh_token",
  parameters: new Set(["refresh_token", "scope"]),
  allowsPublicClients: true,
  async handler({ client, params, services }) {
    const { db } = services;
    if (!params.refresh_token) throw new InvalidRequest("refresh_token is required");
    const token = await db.refreshToken.findUnique({ where: { tokenHash: sha256(params.refresh_token) } });
    if (!token || token.applicationId !== client.view.id) throw new InvalidGrant("the refresh token is invalid");
    if (token.rotatedAt) {
      await db.$transaction((tx) => revokeFamily(tx, token.familyId));
      throw new InvalidGrant("the refresh token was already used; its whole family is revoked");
    }
    if (token.revokedAt) throw new InvalidGrant("the refresh token was revoked");
    if (token.expiresAt.getTime() <= Date.now()) throw new InvalidGrant("the refresh token has expired");

    const original = token.scopes.split(" ");
    const requested = params.scope ? parseScope(params.scope) : original;
    const widened = requested.filter((s) => !original.includes(s));
    if (widened.length > 0) throw new InvalidScope(`cannot add scopes on refresh: ${widened.join(" ")}`);
    const scopes = requested.filter((s) => client.view.delegatedGrants.has(s));
    if (scopes.length === 0) throw new InvalidScope("none of the requested scopes is still granted to this application");
    // A narrowed refresh keeps offline access only if it asked for it; without it, no new refresh token.

    return db.$transaction(async (tx) => {
      const claimed = await tx.refreshToken.updateMany({ where: { id: token.id, rotatedAt: null, revokedAt: null }, data: { rotatedAt: new Date() } });
      if (claimed.count !== 1) {
        await revokeFamily(tx, token.familyId);
        throw new InvalidGrant("the refresh token was already used; its whole family is revoked");
      }
      const issued = await issueUserTokens(services, tx, {
        applicationId: token.applicationId,
        clientId: client.view.clientId,
        userId: token.userId,
        scopes,
        authTime: token.authTime,
        familyId: token.familyId,
      });
      const { jti: _jti, familyId: _family, ...response } = issued;
      return response;
    });
  },
};
