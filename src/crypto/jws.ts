// Compact JWS verification with node:crypto, for the two places that verify a signature made by
// someone else on every request: DPoP proofs and private_key_jwt assertions. jose verifies
// through WebCrypto, whose per-call overhead (webidl conversion, a CryptoKey, a promise job)
// cost more than the signature itself: 151 µs of CPU per DPoP proof against 90 µs this way, 18
// of them outside the signature (in-process, 20,000 ES256 proofs, 2026-12-07; the token
// endpoint's figures are in docs/performance.md). As for signing (signing-keys.ts), the callback
// form runs the signature on libuv's thread pool, off the event loop. jose still parses JWKs,
// resolves JWK Sets and computes nothing else here; the rules jose applied are kept:
// asymmetric algorithms only, a key that fits its algorithm (RSA at least 2048 bits), no
// `crit` extension, exactly three base64url parts and JSON objects.
import { constants, createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from "node:crypto";

export const ASYMMETRIC_ALGS = ["ES256", "RS256", "PS256", "EdDSA"] as const;
export type AsymmetricAlg = (typeof ASYMMETRIC_ALGS)[number];

/** A compact JWS that is well formed; its signature is not yet checked. */
export interface ParsedJws {
  /** The first part as sent: equal parts mean equal headers (a cache key). */
  headerPart: string;
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export class JwsError extends Error {
  override name = "JwsError";
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function jsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new JwsError(`its ${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new JwsError(`its ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** The header alone, for a cache keyed by `headerPart`. */
export function parseHeaderPart(headerPart: string): Record<string, unknown> {
  const header = jsonObject(headerPart, "header");
  if ("crit" in header) throw new JwsError("its header names extensions (crit) this server does not support");
  return header;
}

/** Splits and decodes a compact JWS; `header` may come from a cache of parseHeaderPart. */
export function parseCompactJws(token: string, cachedHeader?: (headerPart: string) => Record<string, unknown>): ParsedJws {
  const first = token.indexOf(".");
  const last = token.lastIndexOf(".");
  if (first <= 0 || last === first || token.indexOf(".", first + 1) !== last || last === token.length - 1) throw new JwsError("it is not a compact JWS");
  const headerPart = token.slice(0, first);
  const payloadPart = token.slice(first + 1, last);
  const signaturePart = token.slice(last + 1);
  if (!BASE64URL.test(headerPart) || !BASE64URL.test(payloadPart) || !BASE64URL.test(signaturePart)) throw new JwsError("it is not base64url");
  return {
    headerPart,
    header: cachedHeader ? cachedHeader(headerPart) : parseHeaderPart(headerPart),
    payload: jsonObject(payloadPart, "payload"),
    signingInput: token.slice(0, last),
    signature: Buffer.from(signaturePart, "base64url"),
  };
}

export function isAsymmetricAlg(alg: unknown): alg is AsymmetricAlg {
  return typeof alg === "string" && (ASYMMETRIC_ALGS as readonly string[]).includes(alg);
}

/** Whether `key` is a public key of the kind `alg` signs with (RFC 7518 §3; RSA >= 2048 bits). */
export function keyFitsAlg(key: KeyObject, alg: AsymmetricAlg): boolean {
  if (key.type !== "public") return false;
  switch (alg) {
    case "ES256":
      return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1";
    case "RS256":
    case "PS256":
      return key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
    case "EdDSA":
      return key.asymmetricKeyType === "ed25519" || key.asymmetricKeyType === "ed448";
  }
}

/** A public key from a JWK (EC, RSA or OKP; the caller refuses private members), or a JwsError. */
export function publicKeyFromJwk(jwk: Record<string, unknown>): KeyObject {
  try {
    return createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
  } catch {
    throw new JwsError("its key is not a usable public JWK");
  }
}

/** RFC 7638 SHA-256 thumbprint of a public JWK: its required members, in lexical order. */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const required: Record<string, readonly string[]> = { EC: ["crv", "kty", "x", "y"], RSA: ["e", "kty", "n"], OKP: ["crv", "kty", "x"] };
  const members = required[String(jwk.kty)];
  if (!members) throw new JwsError("its key type is not EC, RSA or OKP");
  const canonical: Record<string, unknown> = {};
  for (const m of members) {
    if (typeof jwk[m] !== "string") throw new JwsError(`its key lacks "${m}"`);
    canonical[m] = jwk[m];
  }
  return createHash("sha256").update(JSON.stringify(canonical)).digest("base64url");
}

/** Checks the signature on the thread pool; true when `key` signed `jws` with `alg`. */
export function verifyJwsSignature(jws: ParsedJws, key: KeyObject, alg: AsymmetricAlg): Promise<boolean> {
  if (!keyFitsAlg(key, alg)) return Promise.resolve(false);
  const data = Buffer.from(jws.signingInput);
  return new Promise((resolve) => {
    const done = (err: Error | null, ok: boolean) => resolve(!err && ok);
    switch (alg) {
      case "ES256":
        if (jws.signature.length !== 64) return resolve(false);
        return verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, jws.signature, done);
      case "RS256":
        return verify("sha256", data, key, jws.signature, done);
      case "PS256":
        return verify("sha256", data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, jws.signature, done);
      case "EdDSA":
        return verify(null, data, key, jws.signature, done);
    }
  });
}
