// RFC 9068 JWT access tokens. The audience is every hub whose scopes the token carries.
import type { Catalog } from "../../catalog/index.ts";
import { randomUUID } from "node:crypto";
import type { SigningKeys } from "../../crypto/signing-keys.ts";
import { publicId } from "../../ids.ts";

export interface AccessTokenClaims {
  /** The public subject: an application's clientId or a person's `usr_` id. */
  subject: string;
  clientId: string;
  /** Database id of the organization; published as its public `org_` id. */
  organizationId: string | null;
  scopes: readonly string[];
  ttlSeconds: number;
  extra?: Record<string, unknown>;
  /** RFC 9449 §6.1: `cnf.jkt`, the thumbprint of the DPoP key the token is bound to. */
  dpopJkt?: string;
}

export function audiencesFor(catalog: Catalog, scopes: readonly string[]): string[] {
  const audiences = new Set<string>();
  for (const name of scopes) {
    const scope = catalog.scope(name);
    if (scope) audiences.add(scope.hub.audience);
  }
  return [...audiences];
}

export async function issueAccessToken(
  keys: SigningKeys,
  catalog: Catalog,
  issuer: string,
  claims: AccessTokenClaims,
): Promise<{ token: string; jti: string; expiresIn: number }> {
  const iat = Math.floor(Date.now() / 1000);
  // randomUUID draws from a buffered entropy pool: no system call per token.
  const jti = randomUUID();
  const aud = audiencesFor(catalog, claims.scopes);
  const token = await keys.signJwt(
    {
      iss: issuer,
      sub: claims.subject,
      aud: aud.length === 1 ? aud[0] : aud,
      client_id: claims.clientId,
      scope: claims.scopes.join(" "),
      iat,
      exp: iat + claims.ttlSeconds,
      jti,
      ...(claims.organizationId ? { org_id: publicId("Organization", claims.organizationId) } : {}),
      ...claims.extra,
      ...(claims.dpopJkt ? { cnf: { jkt: claims.dpopJkt } } : {}),
    },
    "at+jwt",
  );
  return { token, jti, expiresIn: claims.ttlSeconds };
}
