// private_key_jwt (RFC 7523 §2.2 and §3, with RFC 7523bis): the client proves itself with a JWT
// signed by a key it registered. Stricter than RFC 7523 on the points the audience-injection
// attacks (CVE-2025-27370/27371) showed matter: `aud` is the issuer identifier alone, as one
// string (the token endpoint URL, or any list, is refused), `exp` is required and at most five
// minutes away, and a `jti` is accepted once by every process (the replay store).
import { KeyObject } from "node:crypto";
import { errors, type CryptoKey, type JWTHeaderParameters } from "jose";
import type { ClientView } from "../applications/client-directory.ts";
import { isAsymmetricAlg, parseCompactJws, verifyJwsSignature, type AsymmetricAlg, type ParsedJws } from "../crypto/jws.ts";
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

/** An assertion taken apart, before its signature is checked. */
export interface ClientAssertion {
  /** Its `sub` (which equals its `iss`): the client it claims to be. */
  clientId: string;
  jws: ParsedJws;
}

/** Reads the client an assertion claims to be, before any key is looked up. */
export function readClientAssertion(assertion: string): ClientAssertion {
  if (assertion.length > MAX_ASSERTION_LENGTH) throw refuse("too long");
  let jws: ParsedJws;
  try {
    jws = parseCompactJws(assertion);
  } catch {
    throw refuse("not a JWT");
  }
  const claims = jws.payload;
  if (typeof claims.sub !== "string" || claims.sub.length === 0 || claims.iss !== claims.sub) throw refuse("iss and sub must both be the client_id");
  return { clientId: claims.sub, jws };
}

/** node:crypto's form of a key jose resolved from a JWK Set, made once per key. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();
function asKeyObject(key: CryptoKey | KeyObject | Uint8Array | object): KeyObject {
  if (key instanceof KeyObject) return key;
  let made = keyObjects.get(key as CryptoKey);
  if (!made) {
    made = KeyObject.from(key as CryptoKey);
    keyObjects.set(key as CryptoKey, made);
  }
  return made;
}

/** The registered keys that may have signed it: one, or each of several with the same kid. */
async function candidateKeys(deps: AssertionDeps, view: ClientView, jws: ParsedJws): Promise<KeyObject[]> {
  const resolve = deps.clientKeys.resolver(view);
  try {
    return [asKeyObject(await resolve(jws.header as unknown as JWTHeaderParameters, { payload: "", signature: "" }))];
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    const keys: KeyObject[] = [];
    for await (const key of err as unknown as AsyncIterable<CryptoKey>) keys.push(asKeyObject(key));
    return keys;
  }
}

/**
 * Verifies an assertion for `view` (looked up by readClientAssertion's clientId). Every failure
 * is invalid_client; a replay store that cannot answer refuses (503) rather than admit.
 */
export async function verifyClientAssertion(deps: AssertionDeps, view: ClientView, { jws }: ClientAssertion): Promise<void> {
  if (view.authMethod !== "private_key_jwt") throw refuse("this client does not authenticate with private_key_jwt");
  const alg = jws.header.alg;
  if (!isAsymmetricAlg(alg)) throw refuse(`alg must be one of ${CLIENT_ASSERTION_ALGS.join(", ")}`);
  let keys: KeyObject[];
  try {
    keys = await candidateKeys(deps, view, jws);
  } catch (err) {
    if (err instanceof ClientKeyError) throw refuse(err.message);
    const code = (err as { code?: string }).code ?? "";
    if (code === "ERR_JWKS_NO_MATCHING_KEY") throw refuse("no registered key verifies its signature");
    if (code === "ERR_JWKS_TIMEOUT" || code === "ERR_JOSE_GENERIC" || code === "ERR_JWKS_INVALID") throw refuse("the application's keys could not be fetched");
    throw refuse((err as Error).message ?? "invalid");
  }
  if (!(await anyVerifies(jws, keys, alg))) throw refuse("no registered key verifies its signature");
  const payload = jws.payload;
  const now = Math.floor(Date.now() / 1000);
  if (payload.iss !== view.clientId || payload.sub !== view.clientId) throw refuse("iss and sub must both be the client_id");
  if (typeof payload.exp !== "number") throw refuse("exp is required");
  if (payload.exp <= now - ASSERTION_SKEW_SECONDS) throw refuse("expired");
  if (payload.nbf !== undefined && (typeof payload.nbf !== "number" || payload.nbf > now + ASSERTION_SKEW_SECONDS)) throw refuse("not valid yet (nbf)");
  if (payload.iat !== undefined && typeof payload.iat !== "number") throw refuse("iat must be a number");
  // RFC 7523bis §4 / FAPI 2: the issuer identifier, as a single string, and nothing else.
  if (payload.aud !== deps.issuer) throw refuse(`aud must be the issuer identifier ${deps.issuer} (not the token endpoint URL)`);
  const exp = payload.exp;
  if (exp - now > ASSERTION_MAX_LIFETIME_SECONDS + ASSERTION_SKEW_SECONDS) throw refuse(`exp must be within ${ASSERTION_MAX_LIFETIME_SECONDS} seconds`);
  const jti = payload.jti;
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

async function anyVerifies(jws: ParsedJws, keys: KeyObject[], alg: AsymmetricAlg): Promise<boolean> {
  for (const key of keys) if (await verifyJwsSignature(jws, key, alg)) return true;
  return false;
}
