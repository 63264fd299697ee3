// RFC 6749 §4.1.3 with RFC 7636: codes are single-use, bound to the client, the redirect URI
// and the PKCE verifier, and expire after 60 seconds. A code presented twice fails and
// revokes everything issued from it (RFC 6749 §4.1.2, RFC 9700 §4.5).
import { createHash } from "node:crypto";
import { constantTimeEqual, sha256 } from "../../crypto/random.ts";
import { InvalidGrant, InvalidRequest } from "../errors.ts";
import { issueUserTokens, revokeAccessTokenId, revokeFamily } from "../user-tokens.ts";
import type { Grant } from "./types.ts";

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const authorizationCode: Grant = {
  grantType: "authorization_code",
  parameters: new Set(["code", "redirect_uri", "code_verifier"]),
  allowsPublicClients: true,
  async handler({ client, params, services }) {
    const { db, config } = services;
    if (!params.code) throw new InvalidRequest("code is required");
    const code = await db.authorizationCode.findUnique({ where: { codeHash: sha256(params.code) } });
    if (!code || code.applicationId !== client.view.id) throw new InvalidGrant("the authorization code is invalid");

    if (code.consumedAt) {
      // Replay: whoever holds the code now may not be the client; revoke what it produced.
      await db.$transaction(async (tx) => {
        if (code.issuedFamilyId) await revokeFamily(tx, code.issuedFamilyId);
        if (code.issuedAccessTokenId) {
          await revokeAccessTokenId(tx, code.issuedAccessTokenId, new Date(code.consumedAt!.getTime() + config.accessTokenTtlSeconds * 1000));
        }
      });
      throw new InvalidGrant("the authorization code was already used; tokens issued from it are revoked");
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

    // Scopes revoked from the app since the code was issued do not reach the token.
    const scopes = code.scopes.split(" ").filter((s) => client.view.delegatedGrants.has(s));
    return db.$transaction(async (tx) => {
      const claimed = await tx.authorizationCode.updateMany({ where: { id: code.id, consumedAt: null }, data: { consumedAt: new Date() } });
      if (claimed.count !== 1) throw new InvalidGrant("the authorization code was already used");
      const issued = await issueUserTokens(services, tx, {
        applicationId: code.applicationId,
        clientId: client.view.clientId,
        userId: code.userId,
        scopes,
        authTime: code.authTime,
        nonce: code.nonce,
      });
      await tx.authorizationCode.update({ where: { id: code.id }, data: { issuedAccessTokenId: issued.jti, issuedFamilyId: issued.familyId } });
      const { jti: _jti, familyId: _family, ...response } = issued;
      return response;
    });
  },
};
