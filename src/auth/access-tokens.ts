// The ONE verifier of access tokens this server issued. /graphql, /oauth/userinfo,
// /oauth/introspect and token exchange all call it, so a rule added here (revocation, a
// deleted application) holds at every door at once.
import type { JWTPayload } from "jose";
import type { ClientView } from "../applications/client-directory.ts";
import { rawIdOf } from "../ids.ts";
import { DpopProofError, DpopStoreUnavailable } from "./dpop.ts";
import type { Services } from "../services.ts";

export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
  /** RFC 6750 §3.1 or RFC 9449 §7.1: the `error` of the challenge. */
  code: "invalid_token" | "invalid_dpop_proof" | "use_dpop_nonce" = "invalid_token";
  /** The scheme to challenge with: DPoP when the token is DPoP-bound or came with the DPoP scheme. */
  scheme: "Bearer" | "DPoP" = "Bearer";
  /** A fresh DPoP nonce to send back (`DPoP-Nonce`), with use_dpop_nonce. */
  nonce: string | undefined;
}

/**
 * How a token reached the verifier. At a resource (RFC 6750 / RFC 9449 §7): the Authorization
 * scheme and, for DPoP, the proof and the request it must match; a DPoP-bound token presented
 * any other way is refused. `inspect`: the token is the subject of the question (introspection).
 */
export type Presentation =
  | { scheme: "Bearer" }
  | { scheme: "DPoP"; proof: string | undefined; htm: string; htu: string }
  | { scheme: "inspect" };

function tokenError(message: string, presentation: Presentation, code: InvalidTokenError["code"] = "invalid_token", nonce?: string): InvalidTokenError {
  const err = new InvalidTokenError(message);
  err.code = code;
  if (presentation.scheme === "DPoP" || code !== "invalid_token") err.scheme = "DPoP";
  err.nonce = nonce;
  return err;
}

/** The WWW-Authenticate challenge for a refused token (RFC 6750 §3, RFC 9449 §7.1). */
export function challengeFor(err: InvalidTokenError): Record<string, string> {
  const description = err.message.replace(/["\\]/g, "'");
  const params = err.scheme === "DPoP" ? ` algs="ES256 RS256 PS256 EdDSA",` : "";
  return {
    "www-authenticate": `${err.scheme} realm="scopekeeper",${params} error="${err.code}", error_description="${description}"`,
    ...(err.nonce ? { "dpop-nonce": err.nonce } : {}),
  };
}

/**
 * The access token of a request and how it was presented: `Authorization: Bearer <token>` or
 * `Authorization: DPoP <token>` with its `DPoP` proof header (RFC 9449 §7.1). `htu` is the
 * endpoint's URL under the configured issuer (never built from the Host header).
 */
export function presentedAccessToken(
  authorization: string | undefined,
  dpopHeader: string | string[] | undefined | null,
  request: { htm: string; htu: string },
): { token: string; presentation: Presentation } | null {
  const dpop = authorization ? /^DPoP +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization) : null;
  if (dpop) {
    const proof = typeof dpopHeader === "string" ? dpopHeader : undefined;
    return { token: dpop[1]!, presentation: { scheme: "DPoP", proof, htm: request.htm, htu: request.htu } };
  }
  const token = bearerToken(authorization);
  return token ? { token, presentation: { scheme: "Bearer" } } : null;
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

type VerifierServices = Pick<Services, "keys" | "config" | "revocations" | "clients" | "verifiedAccessTokens" | "dpop">;

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
  options: { audience?: string; presentation?: Presentation } = {},
): Promise<VerifiedAccessToken> {
  const presentation = options.presentation ?? { scheme: "Bearer" };
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
  await checkBinding(services, token, payload, presentation);
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

/**
 * RFC 9449 §7: a DPoP-bound token (cnf.jkt) only with the DPoP scheme and a proof made with
 * its key for this very request (htm, htu, ath); an unbound token never with the DPoP scheme.
 */
async function checkBinding(services: VerifierServices, token: string, payload: JWTPayload, presentation: Presentation): Promise<void> {
  const cnf = payload.cnf as { jkt?: unknown } | undefined;
  const jkt = typeof cnf?.jkt === "string" ? cnf.jkt : null;
  if (presentation.scheme === "inspect") return;
  if (presentation.scheme === "Bearer") {
    if (jkt) throw tokenError("this access token is DPoP-bound: present it with the DPoP scheme and a DPoP proof", { scheme: "DPoP", proof: undefined, htm: "", htu: "" });
    return;
  }
  if (!jkt) throw tokenError("this access token is not DPoP-bound: present it with the Bearer scheme", presentation);
  if (!presentation.proof) throw tokenError("a DPoP proof is required with the DPoP scheme", presentation, "invalid_dpop_proof");
  let proven: string;
  try {
    ({ jkt: proven } = await services.dpop.verify(presentation.proof, { htm: presentation.htm, htu: presentation.htu, accessToken: token }));
  } catch (err) {
    if (err instanceof DpopProofError) throw tokenError(err.message, presentation, err.code, err.code === "use_dpop_nonce" ? services.dpop.nonce() : undefined);
    // The replay store cannot answer: refused rather than accepted unchecked.
    if (err instanceof DpopStoreUnavailable) throw tokenError(err.message, presentation, "invalid_dpop_proof");
    throw err;
  }
  if (proven !== jkt) throw tokenError("the DPoP proof was made with another key than the one the access token is bound to", presentation, "invalid_dpop_proof");
}

/** The token in an `Authorization: Bearer` header (RFC 6750 §2.1), or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header) : null;
  return match ? match[1]! : null;
}
