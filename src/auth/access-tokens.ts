// The ONE verifier of access tokens this server issued. /graphql, /oauth/userinfo,
// /oauth/introspect and token exchange all call it, so a rule added here (revocation, a
// deleted application) holds at every door at once.
import type { JWTPayload } from "jose";
import type { ClientView } from "../applications/client-directory.ts";
import { rawIdOf } from "../ids.ts";
import type { Services } from "../services.ts";

export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

export interface VerifiedAccessToken {
  payload: JWTPayload & { client_id: string; jti: string; scope?: string };
  jti: string;
  client: ClientView;
  /** The token's scopes, deduplicated. */
  scopes: ReadonlySet<string>;
  /** Database id of the person the token acts for, or null for a token an application got for itself. */
  userId: string | null;
  /** Database id of the organization in `org_id`, if any. */
  organizationId: string | null;
}

type VerifierServices = Pick<Services, "keys" | "config" | "revocations" | "clients" | "verifiedAccessTokens">;

function hasAudience(aud: JWTPayload["aud"], audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/**
 * Signature, `typ: at+jwt`, issuer, audience (when given), expiry, not revoked (RFC 7009) and
 * the application still existing. Throws InvalidTokenError with a message safe to show.
 */
export async function verifyAccessToken(
  services: VerifierServices,
  token: string,
  options: { audience?: string } = {},
): Promise<VerifiedAccessToken> {
  // A token verified before skips the signature; expiry and the audience asked for are checked again.
  // A hit whose key has left its publication window since is verified again, and so refused.
  let payload: JWTPayload | undefined = services.verifiedAccessTokens.get(token, 0, (kid) => kid !== undefined && services.keys.isUsable(kid));
  if (payload && options.audience && !hasAudience(payload.aud, options.audience)) payload = undefined;
  if (!payload) {
    let kid: string | undefined;
    try {
      ({ payload, protectedHeader: { kid } } = await services.keys.verifyJwt(token, {
        issuer: services.config.issuer,
        typ: "at+jwt",
        ...(options.audience ? { audience: options.audience } : {}),
      }));
    } catch {
      throw new InvalidTokenError("the access token is invalid or expired");
    }
    services.verifiedAccessTokens.set(token, payload, kid);
  }
  const { jti, client_id: clientId } = payload;
  if (typeof jti !== "string" || typeof clientId !== "string" || typeof payload.sub !== "string") {
    throw new InvalidTokenError("the access token is invalid or expired");
  }
  // Both usually answer from memory (src/auth/revocations.ts, the client directory).
  const [revoked, client] = await Promise.all([
    services.revocations.isRevoked(jti, new Date((typeof payload.exp === "number" ? payload.exp : 0) * 1000)),
    services.clients.get(clientId),
  ]);
  if (revoked) throw new InvalidTokenError("the access token was revoked");
  // A deleted application's tokens stop working at once, not at their expiry.
  if (!client) throw new InvalidTokenError("the access token's application no longer exists");
  const scopes = new Set(typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : []);
  return {
    payload: payload as VerifiedAccessToken["payload"],
    jti,
    client,
    scopes,
    userId: rawIdOf(payload.sub, "User"),
    organizationId: rawIdOf(payload.org_id, "Organization"),
  };
}

/** The token in an `Authorization: Bearer` header (RFC 6750 §2.1), or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header) : null;
  return match ? match[1]! : null;
}
