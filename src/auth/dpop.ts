// DPoP proofs (RFC 9449 §4.3) for the token endpoint and this server's resources (/graphql,
// /oauth/userinfo). A proof is checked against what this server is configured to be, never
// against what the request claims: `htu` is compared with the configured ISSUER's URL of the
// endpoint (the Host header plays no part: Keycloak #39332). Server nonces (§8) are stateless
// and rotate: an HMAC of the current time window, so every process that shares the secret
// accepts every other's, and no store is touched. A proof's `jti` is accepted once across
// processes (the replay store); a store that cannot answer refuses the proof.
import { createHash, createHmac, type KeyObject } from "node:crypto";
import type { JWK } from "jose";
import { LRUCache } from "lru-cache";
import { isAsymmetricAlg, JwsError, jwkThumbprint, keyFitsAlg, parseCompactJws, parseHeaderPart, publicKeyFromJwk, verifyJwsSignature, type AsymmetricAlg, type ParsedJws } from "../crypto/jws.ts";
import { ReplayStoreUnavailable, type ReplayStore } from "./replay-store.ts";

/** Asymmetric algorithms only (§4.2: never `none`, never a MAC). */
export const DPOP_ALGS = ["ES256", "RS256", "PS256", "EdDSA"] as const;
/** A proof's `iat` may be this far in the past (and, for clock skew, a little in the future). */
export const DPOP_IAT_WINDOW_SECONDS = 60;
export const DPOP_SKEW_SECONDS = 5;
/** A nonce is handed out for one window and accepted for that window and the next. */
export const DPOP_NONCE_WINDOW_SECONDS = 60;
const MAX_PROOF_LENGTH = 8192;
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/** Proof headers kept parsed, by their first part as sent (a client proves with one key many times). */
const PROOF_HEADER_CACHE_BYTES = 8 * 1024 * 1024;

/** What a proof's header says, checked once per distinct header. */
interface ProofHeader {
  header: Record<string, unknown>;
  alg: AsymmetricAlg;
  jwk: JWK;
  jkt: string;
  key: KeyObject;
}

/** Why a proof was refused; `code` is the RFC 9449 error (invalid_dpop_proof or use_dpop_nonce). */
export class DpopProofError extends Error {
  override name = "DpopProofError";
  constructor(
    readonly code: "invalid_dpop_proof" | "use_dpop_nonce",
    message: string,
  ) {
    super(message);
  }
}

/** The store failed: the proof cannot be checked for replay, so it is not accepted (503). */
export class DpopStoreUnavailable extends Error {
  override name = "DpopStoreUnavailable";
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: `cnf.jkt` of what it binds. */
  jkt: string;
  jwk: JWK;
}

export interface ProofExpectation {
  htm: string;
  /** The endpoint's URL under the configured issuer. */
  htu: string;
  /** At a resource: the access token the proof must be bound to (`ath`). */
  accessToken?: string;
  /** The token endpoint insists on a server nonce. */
  requireNonce?: boolean;
}

const invalid = (message: string) => new DpopProofError("invalid_dpop_proof", message);

/** `htu` without query and fragment (§4.3 step 9), or null when it is no URL. */
function normalizedUrl(value: string): string | null {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`.toLowerCase();
  } catch {
    return null;
  }
}

export function accessTokenHash(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

export class DpopProofs {
  readonly #secret: Buffer;
  readonly #replays: ReplayStore;
  readonly #now: () => number;
  readonly #headers = new LRUCache<string, ProofHeader>({ maxSize: PROOF_HEADER_CACHE_BYTES, sizeCalculation: (_, part) => part.length });
  /** The nonces of the current window and the one before, computed once a window. */
  #nonces: { window: number; current: string; previous: string } | null = null;

  constructor(options: { secret: string; replays: ReplayStore; now?: () => number }) {
    this.#secret = createHash("sha256").update(`scopekeeper dpop nonce\u0000${options.secret}`).digest();
    this.#replays = options.replays;
    this.#now = options.now ?? Date.now;
  }

  /** The nonce to hand out now (`DPoP-Nonce`). */
  nonce(): string {
    return this.#currentNonces().current;
  }

  #currentNonces(): { current: string; previous: string } {
    const window = Math.floor(this.#now() / 1000 / DPOP_NONCE_WINDOW_SECONDS);
    if (this.#nonces?.window !== window) this.#nonces = { window, current: this.#nonceFor(window), previous: this.#nonceFor(window - 1) };
    return this.#nonces;
  }

  #nonceFor(window: number): string {
    const w = Buffer.alloc(6);
    w.writeUIntBE(window, 0, 6);
    const mac = createHmac("sha256", this.#secret).update(w).digest().subarray(0, 16);
    return `${w.toString("base64url")}.${mac.toString("base64url")}`;
  }

  /**
   * Issued in this window or the one before: a nonce lives one to two windows. A plain
   * comparison: a nonce is no secret (every client is handed it), only unforgeable.
   */
  #isFreshNonce(nonce: unknown): boolean {
    const { current, previous } = this.#currentNonces();
    return nonce === current || nonce === previous;
  }

  /** The checks that depend only on the header, made once per distinct header. */
  #proofHeader(headerPart: string): ProofHeader {
    const cached = this.#headers.get(headerPart);
    if (cached) return cached;
    let header: Record<string, unknown>;
    try {
      header = parseHeaderPart(headerPart);
    } catch {
      throw invalid("the DPoP proof is not a JWT");
    }
    if (header.typ !== "dpop+jwt") throw invalid("the DPoP proof's typ must be dpop+jwt");
    const alg = header.alg;
    if (!isAsymmetricAlg(alg)) throw invalid(`the DPoP proof's alg must be one of ${DPOP_ALGS.join(", ")}`);
    const jwk = header.jwk;
    if (!jwk || typeof jwk !== "object" || Array.isArray(jwk)) throw invalid("the DPoP proof must carry its public key (jwk)");
    if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw invalid("the DPoP proof's jwk must be a public key");
    let jkt: string;
    let key: KeyObject;
    try {
      jkt = jwkThumbprint(jwk as Record<string, unknown>);
      key = publicKeyFromJwk(jwk as Record<string, unknown>);
    } catch {
      throw invalid("the DPoP proof's jwk is not a usable public key");
    }
    if (!keyFitsAlg(key, alg)) throw invalid(`the DPoP proof's jwk is not a key for ${alg}`);
    const entry: ProofHeader = { header, alg, jwk: jwk as JWK, jkt, key };
    this.#headers.set(headerPart, entry);
    return entry;
  }

  async verify(proof: string, expect: ProofExpectation): Promise<VerifiedProof> {
    if (proof.length > MAX_PROOF_LENGTH) throw invalid("the DPoP proof is too long");
    const headerPart = proof.slice(0, Math.max(0, proof.indexOf(".")));
    const { header, alg, jwk, jkt, key } = this.#proofHeader(headerPart);
    let jws: ParsedJws;
    try {
      jws = parseCompactJws(proof, () => header);
    } catch (err) {
      if (err instanceof DpopProofError) throw err;
      throw invalid(`the DPoP proof is not a JWT: ${(err as JwsError).message}`);
    }
    if (!(await verifyJwsSignature(jws, key, alg))) throw invalid("the DPoP proof's signature does not verify");
    const payload = jws.payload;
    const now = Math.floor(this.#now() / 1000);
    // Registered claims a proof may carry are honoured, as jose's jwtVerify did.
    if (payload.exp !== undefined && (typeof payload.exp !== "number" || payload.exp <= now - DPOP_SKEW_SECONDS)) throw invalid("the DPoP proof has expired");
    if (payload.nbf !== undefined && (typeof payload.nbf !== "number" || payload.nbf > now + DPOP_SKEW_SECONDS)) throw invalid("the DPoP proof is not valid yet");
    if (typeof payload.jti !== "string" || payload.jti.length === 0 || payload.jti.length > 256) throw invalid("the DPoP proof needs a jti");
    if (payload.htm !== expect.htm) throw invalid(`the DPoP proof's htm must be ${expect.htm}`);
    if (typeof payload.htu !== "string" || (payload.htu !== expect.htu && normalizedUrl(payload.htu) !== normalizedUrl(expect.htu))) throw invalid(`the DPoP proof's htu must be ${expect.htu}`);
    const iat = payload.iat;
    if (typeof iat !== "number" || iat > now + DPOP_SKEW_SECONDS || iat < now - DPOP_IAT_WINDOW_SECONDS - DPOP_SKEW_SECONDS) {
      throw invalid("the DPoP proof's iat is outside the accepted window");
    }
    if (expect.accessToken !== undefined) {
      if (payload.ath !== accessTokenHash(expect.accessToken)) throw invalid("the DPoP proof's ath does not match the access token");
    }
    if (payload.nonce !== undefined || expect.requireNonce) {
      if (!this.#isFreshNonce(payload.nonce)) throw new DpopProofError("use_dpop_nonce", "a fresh DPoP nonce is required: use the DPoP-Nonce header's value");
    }
    let first: boolean;
    try {
      first = await this.#replays.firstUse(`dpop:${jkt}:${payload.jti}`, new Date((iat + DPOP_IAT_WINDOW_SECONDS + 2 * DPOP_SKEW_SECONDS) * 1000));
    } catch (err) {
      if (err instanceof ReplayStoreUnavailable) throw new DpopStoreUnavailable("the DPoP proof cannot be checked for replay right now", { cause: err });
      throw err;
    }
    if (!first) throw invalid("the DPoP proof was already used (jti)");
    return { jkt, jwk };
  }
}
