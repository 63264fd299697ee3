// RFC 6749 §4.1.3 with RFC 7636: codes are single-use, bound to the client, the redirect URI
// and the PKCE verifier, and expire after 60 seconds. A code presented twice fails and
// revokes everything issued from it (RFC 6749 §4.1.2, RFC 9700 §4.5).
import { createHash } from "node:crypto";
import { z } from "zod";
import { constantTimeEqual, sha256 } from "../../crypto/random.ts";
import type { Db } from "../../db/client.ts";
import { grantsFor, personTokenScopes } from "../../access/policy.ts";
import { InvalidGrant } from "../errors.ts";
import type { TokenIssuance } from "../issuance/index.ts";
import { checkResource } from "../exchange/target.ts";
import { defineGrant } from "./types.ts";

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const REPLAYED = "the authorization code was already used; tokens issued from it are revoked";

/** Marks a lost race: thrown inside the claiming transaction so it rolls back, caught outside it. */
class AlreadyClaimed extends Error {}

/**
 * Revokes what the winning redemption issued. The winner records the jti and family in the
 * same UPDATE that claims the code, so whoever sees the code consumed sees what to revoke.
 */
async function revokeIssuedFrom(db: Db, issuance: TokenIssuance, codeId: string): Promise<void> {
  const code = await db.authorizationCode.findUniqueOrThrow({ where: { id: codeId } });
  await db.$transaction(async (tx) => {
    if (code.issuedFamilyId) await issuance.revokeFamily(tx, code.issuedFamilyId);
    if (code.issuedAccessTokenId && code.consumedAt) {
      await issuance.revokeAccessToken(tx, code.issuedAccessTokenId, new Date(code.consumedAt.getTime() + issuance.accessTokenTtlSeconds * 1000));
    }
  });
}

export const authorizationCode = defineGrant({
  grantType: "authorization_code",
  parameters: z.object({ code: z.string(), redirect_uri: z.string().optional(), code_verifier: z.string().optional(), resource: z.string().optional() }),
  allowsPublicClients: true,
  needs: ["db", "issuance", "memberships", "catalog"],
  async handler({ client, params, deps: { db, issuance, memberships, catalog } }) {
    const code = await db.authorizationCode.findUnique({ where: { codeHash: sha256(params.code) } });
    if (!code || code.applicationId !== client.view.id) throw new InvalidGrant("the authorization code is invalid");

    if (code.consumedAt) {
      // Replay: whoever holds the code now may not be the client; revoke what it produced.
      await revokeIssuedFrom(db, issuance, code.id);
      throw new InvalidGrant(REPLAYED);
    }
    if (code.expiresAt.getTime() <= Date.now()) throw new InvalidGrant("the authorization code has expired");
    if (code.redirectUriGiven || params.redirect_uri !== undefined) {
      if (params.redirect_uri !== code.redirectUri) throw new InvalidGrant("redirect_uri does not match the authorization request");
    }
    if (code.codeChallenge) {
      if (!params.code_verifier) throw new InvalidGrant("code_verifier is required");
      if (!VERIFIER.test(params.code_verifier)) throw new InvalidGrant("code_verifier is malformed");
      const computed = createHash("sha256").update(params.code_verifier).digest("base64url");
      if (!constantTimeEqual(computed, code.codeChallenge)) throw new InvalidGrant("code_verifier does not match the code_challenge");
    } else if (params.code_verifier) {
      throw new InvalidGrant("code_verifier given for a code issued without code_challenge");
    }
    // RFC 9449 §10: a code bound at authorization is redeemed only with a proof by that key.
    if (code.dpopJkt) {
      if (!client.dpopJkt) throw new InvalidGrant("the authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof made with that key");
      if (client.dpopJkt !== code.dpopJkt) throw new InvalidGrant("the DPoP proof's key is not the one the authorization code is bound to (dpop_jkt)");
    }

    // Scopes revoked from the app since the code was issued do not reach the token; outside a
    // PUBLIC app's organization, only the approved revision's scopes do; and the policy is asked
    // again, as the person's role may have changed since they consented.
    const { delegatedScopes } = await grantsFor(memberships, client.view, code.userId);
    const granted = code.scopes.split(" ").filter((s) => delegatedScopes.has(s));
    const { allowed: scopes } = await personTokenScopes({ memberships, catalog }, { app: client.view, userId: code.userId, scopes: granted, grant: "authorization_code" });
    checkResource(catalog, scopes, params.resource);
    try {
      return await db.$transaction(async (tx) => {
        const issued = await issuance.userTokens(tx, {
          applicationId: code.applicationId,
          clientId: client.view.clientId,
          organizationId: client.view.organizationId,
          userId: code.userId,
          scopes,
          authTime: code.authTime,
          nonce: code.nonce,
          sessionId: code.sessionId,
        });
        // Claim and link in one statement: a concurrent redemption either wins this row or, once
        // it can see the row consumed, also sees the jti and family it must revoke.
        const claimed = await tx.authorizationCode.updateMany({
          where: { id: code.id, consumedAt: null },
          data: { consumedAt: new Date(), issuedAccessTokenId: issued.jti, issuedFamilyId: issued.familyId },
        });
        if (claimed.count !== 1) throw new AlreadyClaimed();
        return issued.response;
      });
    } catch (err) {
      if (!(err instanceof AlreadyClaimed)) throw err;
      // Lost the race: our own tokens rolled back; the winner has committed, so revoke its tokens.
      await revokeIssuedFrom(db, issuance, code.id);
      throw new InvalidGrant(REPLAYED);
    }
  },
});
