// RFC 6749 §6 with RFC 9700 §4.14: refresh tokens rotate on every use; presenting a rotated
// token again revokes its whole family. Refreshing may narrow the scopes, never widen them,
// and drops scopes revoked from the application since.
import { z } from "zod";
import { grantsFor, personTokenScopes } from "../../access/policy.ts";
import { sha256 } from "../../crypto/random.ts";
import { InvalidGrant, InvalidScope } from "../errors.ts";
import { parseScope } from "../scope.ts";
import { checkResource } from "../exchange/target.ts";
import { defineGrant } from "./types.ts";

const REPLAYED = "the refresh token was already used; its whole family is revoked";

/** Marks a lost rotation race: thrown inside the transaction so it rolls back, caught outside it. */
class AlreadyRotated extends Error {}

export const refreshToken = defineGrant({
  grantType: "refresh_token",
  parameters: z.object({ refresh_token: z.string(), scope: z.string().optional(), resource: z.string().optional() }),
  allowsPublicClients: true,
  needs: ["db", "issuance", "memberships", "catalog"],
  async handler({ client, params, deps: { db, issuance, memberships, catalog } }) {
    const token = await db.refreshToken.findUnique({ where: { tokenHash: sha256(params.refresh_token) } });
    if (!token || token.applicationId !== client.view.id) throw new InvalidGrant("the refresh token is invalid");
    if (token.rotatedAt) {
      await db.$transaction((tx) => issuance.revokeFamily(tx, token.familyId));
      throw new InvalidGrant(REPLAYED);
    }
    if (token.revokedAt) throw new InvalidGrant("the refresh token was revoked");
    if (token.expiresAt.getTime() <= Date.now()) throw new InvalidGrant("the refresh token has expired");
    // RFC 9449 §5: a public client's refresh token bound to a DPoP key needs a proof made with it.
    if (token.dpopJkt && token.dpopJkt !== client.dpopJkt) throw new InvalidGrant("the refresh token is bound to a DPoP key: present a DPoP proof made with that key");

    const original = token.scopes.split(" ");
    const requested = params.scope ? parseScope(params.scope) : original;
    const widened = requested.filter((s) => !original.includes(s));
    if (widened.length > 0) throw new InvalidScope(`cannot add scopes on refresh: ${widened.join(" ")}`, widened.join(" "));
    // Outside a PUBLIC app's organization, only the approved revision's scopes are still granted;
    // a person no longer ADMIN loses admin-consent scopes here (oauth.admin_consent).
    const { delegatedScopes } = await grantsFor(memberships, client.view, token.userId);
    const granted = requested.filter((s) => delegatedScopes.has(s));
    const { allowed: scopes } = await personTokenScopes({ memberships, catalog }, { app: client.view, userId: token.userId, scopes: granted, grant: "refresh_token" });
    if (scopes.length === 0) throw new InvalidScope("none of the requested scopes is still granted to this application");
    checkResource(catalog, scopes, params.resource);
    // A narrowed refresh keeps offline access only if it asked for it; without it, no new refresh token.

    try {
      return await db.$transaction(async (tx) => {
        const claimed = await tx.refreshToken.updateMany({ where: { id: token.id, rotatedAt: null, revokedAt: null }, data: { rotatedAt: new Date() } });
        if (claimed.count !== 1) throw new AlreadyRotated();
        const issued = await issuance.userTokens(tx, {
          applicationId: token.applicationId,
          clientId: client.view.clientId,
          organizationId: client.view.organizationId,
          userId: token.userId,
          scopes,
          authTime: token.authTime,
          familyId: token.familyId,
          sessionId: token.sessionId,
        });
        return issued.response;
      });
    } catch (err) {
      if (!(err instanceof AlreadyRotated)) throw err;
      // Revoking inside the failed transaction would roll back with it; do it after.
      await db.$transaction((tx) => issuance.revokeFamily(tx, token.familyId));
      throw new InvalidGrant(REPLAYED);
    }
  },
});
