// private_key_jwt (RFC 7523 §2.2 and §3, with RFC 7523bis): the client proves itself with a JWT
// signed by a key it registered. Stricter than RFC 7523 on the points the audience-injection
// attacks (CVE-2025-27370/27371) showed matter: `aud` is the issuer identifier alone, as one
// string (the token endpoint URL, or any list, is refused), `exp` is required and at most five
// minutes away, and a `jti` is accepted once by every process (the replay store).
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import type { ClientView } from "../applications/client-directory.ts";
import { ClientKeyError, type ClientKeySets } from "./client-keys.ts";
import { InvalidClient, TemporarilyUnavailable } from "./errors.ts";
import { ReplayStoreUnavailable, type ReplayStore } from "../auth/replay-store.ts";

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Asymmetric only: alg `none` and HMAC (a secret this server would have to keep) never. */
export const CLIENT_ASSERTION_ALGS = ["ES256", "RS256", "PS256", "EdDSA"] as const;
export const ASSERTION_MAX_LIFETIME_SECONDS = 300;
export const ASSERTION_SKEW_SECONDS = 30;
const MAX_ASSERTION_LENGTH = 8192;

export interface AssertionDeps {
  issuer: string;
  clients: { get(clientId: string): Promise<ClientView | null> };
  clientKeys: ClientKeySets;
  replays: ReplayStore;
}

function refuse(reason: string): InvalidClient {
  return new InvalidClient(`client assertion refused: ${reason}`);
}

/** The client_id an assertion claims (its `sub`, which must equal `iss`), read before any key is. */
export function assertedClientId(assertion: string): string {
  if (assertion.length > MAX_ASSERTION_LENGTH) throw refuse("too long");
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
    decodeProtectedHeader(assertion);
  } catch {
    throw refuse("not a JWT");
  }
  if (typeof claims.sub !== "string" || claims.sub.length === 0 || claims.iss !== claims.sub) throw refuse("iss and sub must both be the client_id");
  return claims.sub;
}

/**
 * Verifies an assertion for `view` (already looked up by assertedClientId's answer). Every
 * failure is invalid_client; a replay store that cannot answer refuses (503) rather than admit.
 */
export async function verifyClientAssertion(deps: AssertionDeps, view: ClientView, assertion: string): Promise<void> {
  if (view.authMethod !== "private_key_jwt") throw refuse("this client does not authenticate with private_key_jwt");
  let payload: JWTPayload;
  try {
    const keys = deps.clientKeys.resolver(view);
    ({ payload } = await jwtVerify(assertion, keys, {
      algorithms: [...CLIENT_ASSERTION_ALGS],
      issuer: view.clientId,
      subject: view.clientId,
      requiredClaims: ["exp", "jti"],
      clockTolerance: ASSERTION_SKEW_SECONDS,
    }));
  } catch (err) {
    if (err instanceof ClientKeyError) throw refuse(err.message);
    const code = (err as { code?: string }).code ?? "";
    if (code === "ERR_JWT_EXPIRED") throw refuse("expired");
    if (code === "ERR_JOSE_ALG_NOT_ALLOWED") throw refuse(`alg must be one of ${CLIENT_ASSERTION_ALGS.join(", ")}`);
    if (code === "ERR_JWKS_NO_MATCHING_KEY" || code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") throw refuse("no registered key verifies its signature");
    if (code === "ERR_JWKS_TIMEOUT" || code === "ERR_JOSE_GENERIC" || code === "ERR_JWKS_INVALID") throw refuse("the application's keys could not be fetched");
    throw refuse((err as Error).message ?? "invalid");
  }
  // RFC 7523bis §4 / FAPI 2: the issuer identifier, as a single string, and nothing else.
  if (payload.aud !== deps.issuer) throw refuse(`aud must be the issuer identifier ${deps.issuer} (not the token endpoint URL)`);
  const now = Math.floor(Date.now() / 1000);
  const exp = payload.exp!;
  if (exp - now > ASSERTION_MAX_LIFETIME_SECONDS + ASSERTION_SKEW_SECONDS) throw refuse(`exp must be within ${ASSERTION_MAX_LIFETIME_SECONDS} seconds`);
  const jti = payload.jti!;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > 256) throw refuse("jti is required");
  let first: boolean;
  try {
    first = await deps.replays.firstUse(`pkjwt:${view.clientId}:${jti}`, new Date((exp + ASSERTION_SKEW_SECONDS) * 1000));
  } catch (err) {
    if (err instanceof ReplayStoreUnavailable) throw new TemporarilyUnavailable("the assertion's jti cannot be checked right now; retry");
    throw err;
  }
  if (!first) throw refuse("its jti was already used");
}
