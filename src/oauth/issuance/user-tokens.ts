// Tokens issued to an application acting for a user: the access token, a rotating refresh
// token when offline_access was granted and consented, and an OpenID Connect ID token.
import { createHash, randomBytes } from "node:crypto";
import type { Prisma } from "../../db/client.ts";
import { randomId, sha256 } from "../../crypto/random.ts";
import { publicId } from "../../ids.ts";
import { issueAccessToken } from "./access-token.ts";
import type { IssuanceSettings, TokenResponse } from "./types.ts";

type Tx = Prisma.TransactionClient;

export interface UserGrant {
  applicationId: string;
  clientId: string;
  /** The application's organization: the token acts there (src/access/tenancy.ts) and says so in org_id. */
  organizationId: string | null;
  userId: string;
  scopes: string[];
  authTime: Date;
  nonce?: string | null;
  /** Continue an existing refresh-token family (refresh grant) or start one (code grant). */
  familyId?: string;
  /** The sign-in session the grant descends from: signing it out revokes the refresh tokens. */
  sessionId?: string | null;
}

/** OIDC Core §3.1.3.6: the left half of SHA-256 of the access token, base64url. */
export function atHash(accessToken: string): string {
  const digest = createHash("sha256").update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

export interface IssuedUserTokens {
  response: TokenResponse;
  /** The access token's jti and the refresh family, for whoever must be able to revoke them. */
  jti: string;
  accessExpiresAt: Date;
  familyId: string | null;
}

export async function issueUserTokens(settings: IssuanceSettings, tx: Tx, grant: UserGrant): Promise<IssuedUserTokens> {
  const { keys, catalog, issuer } = settings;
  const ttl = settings.accessTokenTtlSeconds;
  const authTime = Math.floor(grant.authTime.getTime() / 1000);
  const { token, jti, expiresIn } = await issueAccessToken(keys, catalog, issuer, {
    subject: publicId("User", grant.userId),
    clientId: grant.clientId,
    organizationId: grant.organizationId,
    scopes: grant.scopes,
    ttlSeconds: ttl,
    extra: { auth_time: authTime },
    ...(settings.dpop ? { dpopJkt: settings.dpop.jkt } : {}),
  });
  const accessExpiresAt = new Date((Math.floor(Date.now() / 1000) + ttl) * 1000);
  const response: TokenResponse = { access_token: token, token_type: settings.dpop ? "DPoP" : "Bearer", expires_in: expiresIn, scope: grant.scopes.join(" ") };
  let familyId: string | null = null;

  if (grant.scopes.includes("offline_access")) {
    const refresh = randomBytes(32).toString("base64url");
    familyId = grant.familyId ?? randomId();
    await tx.refreshToken.create({
      data: {
        tokenHash: sha256(refresh),
        familyId,
        applicationId: grant.applicationId,
        userId: grant.userId,
        scopes: grant.scopes.join(" "),
        authTime: grant.authTime,
        accessTokenId: jti,
        accessExpiresAt,
        expiresAt: new Date(Date.now() + settings.refreshTokenTtlSeconds * 1000),
        // RFC 9449 §5: a public client's refresh token is usable only with the same key.
        dpopJkt: settings.dpop?.bindRefreshTokens ? settings.dpop.jkt : null,
        sessionId: grant.sessionId ?? null,
      },
    });
    response.refresh_token = refresh;
  }

  if (grant.scopes.includes("openid")) {
    const user = await tx.user.findUniqueOrThrow({ where: { id: grant.userId } });
    const iat = Math.floor(Date.now() / 1000);
    response.id_token = await keys.signJwt(
      {
        iss: issuer,
        sub: publicId("User", grant.userId),
        aud: grant.clientId,
        iat,
        exp: iat + ttl,
        auth_time: authTime,
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
        at_hash: atHash(token),
        ...identityClaims(grant.scopes, user),
      },
      "JWT",
    );
  }
  return { response, jti, accessExpiresAt, familyId };
}

/** The standard claims the granted identity scopes release. */
export function identityClaims(scopes: readonly string[], user: { email: string; name: string | null }): Record<string, unknown> {
  return {
    ...(scopes.includes("email") ? { email: user.email, email_verified: false } : {}),
    ...(scopes.includes("profile") && user.name ? { name: user.name } : {}),
  };
}
