// Verifies tokens that an organization's identity provider (Okta, Entra ID, ...) issued, for
// token exchange. Keys come from the provider's JWKS through jose's remote key set: cached,
// refetched on an unknown `kid` at most once per cooldown, every fetch bounded by a timeout,
// so a provider that cannot be reached fails an exchange quickly and never hangs the endpoint.
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { checkProviderUrl } from "./provider-urls.ts";
import { VerifiedJwtCache } from "./verified-jwts.ts";

export class ExternalTokenError extends Error {
  override name = "ExternalTokenError";
}

export interface ExternalProvider {
  name: string;
  issuer: string;
  jwksUri: string | null;
  audience: string;
  clockSkewSeconds: number;
}

export interface ExternalTokenOptions {
  /** Every fetch (JWKS, discovery) is aborted after this long. */
  timeoutMs?: number;
  /** After a JWKS fetch, an unknown kid waits this long before the next one (jose's cooldown). */
  cooldownMs?: number;
  /** Keys and discovered metadata are refetched after this long even when nothing changed. */
  maxAgeMs?: number;
  /** A discovered jwks_uri may be plain http on loopback (development and tests only). */
  allowLoopbackHttp?: boolean;
}

/** Asymmetric algorithms only: a provider's JWKS publishes public keys, never shared secrets. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

interface Discovered {
  jwksUri: string | null;
  error: string | null;
  at: number;
}

export class ExternalTokenVerifier {
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  readonly #allowLoopbackHttp: boolean;
  #keySets = new Map<string, JWTVerifyGetKey>();
  #discovered = new Map<string, Discovered>();
  #inflight = new Map<string, Promise<Discovered>>();
  /** Subject tokens that verified, per provider settings; at most a minute, like a key set change. */
  #verified = new VerifiedJwtCache<JWTPayload & { sub: string }>({ maxAgeMs: 60_000 });

  constructor(options: ExternalTokenOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#maxAgeMs = options.maxAgeMs ?? 600_000;
    this.#allowLoopbackHttp = options.allowLoopbackHttp ?? false;
  }

  /** Drops what is cached for a provider whose settings changed or that was removed. */
  forget(provider: { issuer: string; jwksUri: string | null }): void {
    this.#discovered.delete(provider.issuer);
    if (provider.jwksUri) this.#keySets.delete(provider.jwksUri);
    this.#verified.clear();
  }

  /** Drops every provider's discovery and keys (a change announced by another process, or a reconnect). */
  forgetAll(): void {
    this.#discovered.clear();
    this.#keySets.clear();
    this.#verified.clear();
  }

  /**
   * Signature, `iss`, `aud`, `exp`, `nbf` and `iat` (within the provider's clock skew). Throws
   * ExternalTokenError with a message that helps and never repeats the token.
   */
  async verify(token: string, provider: ExternalProvider, what = "subject token"): Promise<JWTPayload & { sub: string }> {
    // Everything the verification depended on is in the key, so a changed provider misses.
    const cacheKey = `${provider.issuer}\u0000${provider.audience}\u0000${provider.jwksUri ?? ""}\u0000${token}`;
    const known = this.#verified.get(cacheKey, provider.clockSkewSeconds);
    if (known) return known;
    const jwksUri = provider.jwksUri ?? (await this.#discover(provider.issuer));
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keySet(jwksUri), {
        issuer: provider.issuer,
        audience: provider.audience,
        clockTolerance: provider.clockSkewSeconds,
        algorithms: ALGORITHMS,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (err) {
      throw new ExternalTokenError(explain(err, provider, what));
    }
    const now = Math.floor(Date.now() / 1000);
    // jose checks iat only against a maximum age; a token minted in the future is refused here.
    if (typeof payload.iat === "number" && payload.iat > now + provider.clockSkewSeconds) {
      throw new ExternalTokenError(`the ${what}'s iat is in the future (more than ${provider.clockSkewSeconds} s of clock skew allowed for ${provider.name})`);
    }
    if (typeof payload.sub !== "string" || payload.sub.length === 0) throw new ExternalTokenError(`the ${what} has no sub claim`);
    this.#verified.set(cacheKey, payload as JWTPayload & { sub: string });
    return payload as JWTPayload & { sub: string };
  }

  #keySet(jwksUri: string): JWTVerifyGetKey {
    let keys = this.#keySets.get(jwksUri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: this.#timeoutMs,
        cooldownDuration: this.#cooldownMs,
        cacheMaxAge: this.#maxAgeMs,
      });
      this.#keySets.set(jwksUri, keys);
    }
    return keys;
  }

  /** The issuer's jwks_uri from its metadata (OpenID Connect Discovery, then RFC 8414). */
  async #discover(issuer: string): Promise<string> {
    const cached = this.#discovered.get(issuer);
    const fresh = cached && Date.now() - cached.at < (cached.error ? this.#cooldownMs : this.#maxAgeMs);
    let result = fresh ? cached : undefined;
    if (!result) {
      let pending = this.#inflight.get(issuer);
      if (!pending) {
        pending = this.#fetchMetadata(issuer).finally(() => this.#inflight.delete(issuer));
        this.#inflight.set(issuer, pending);
      }
      result = await pending;
      this.#discovered.set(issuer, result);
    }
    if (!result.jwksUri) throw new ExternalTokenError(result.error ?? "the identity provider's metadata has no jwks_uri");
    return result.jwksUri;
  }

  async #fetchMetadata(issuer: string): Promise<Discovered> {
    const base = issuer.replace(/\/+$/, "");
    let lastError = "the identity provider's metadata could not be fetched";
    for (const path of ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"]) {
      try {
        const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(this.#timeoutMs), redirect: "error", headers: { accept: "application/json" } });
        if (!res.ok) {
          lastError = `the identity provider's metadata answered HTTP ${res.status}`;
          continue;
        }
        const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
        // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
        if (doc.issuer !== issuer) return { jwksUri: null, error: "the identity provider's metadata names another issuer", at: Date.now() };
        if (typeof doc.jwks_uri !== "string" || checkProviderUrl(doc.jwks_uri, this.#allowLoopbackHttp)) {
          return { jwksUri: null, error: "the identity provider's metadata has no usable jwks_uri", at: Date.now() };
        }
        return { jwksUri: doc.jwks_uri, error: null, at: Date.now() };
      } catch (err) {
        lastError =
          err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")
            ? `the identity provider's metadata did not answer within ${this.#timeoutMs} ms`
            : "the identity provider's metadata could not be fetched";
      }
    }
    return { jwksUri: null, error: lastError, at: Date.now() };
  }
}

function explain(err: unknown, provider: ExternalProvider, what: string): string {
  if (err instanceof joseErrors.JWTExpired) return `the ${what} has expired`;
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "nbf":
        return `the ${what} is not yet valid (nbf)`;
      case "aud":
        return `the ${what}'s aud does not include the audience identity provider ${provider.name} is registered with`;
      case "iss":
        return `the ${what}'s iss is not the identity provider's issuer`;
      case "iat":
        return `the ${what}'s iat is invalid`;
      default:
        return `the ${what} lacks a valid ${err.claim} claim`;
    }
  }
  if (err instanceof joseErrors.JWKSTimeout) return `the identity provider's keys did not arrive within the timeout; try again later`;
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return `the ${what}'s signature does not verify with identity provider ${provider.name}'s keys`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return `the ${what}'s signature algorithm is not accepted (asymmetric algorithms only)`;
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return `the ${what} is not a well-formed signed JWT`;
  if (err instanceof joseErrors.JWKSInvalid || err instanceof joseErrors.JOSEError) return "the identity provider's keys could not be used";
  // fetch failures (refused connection, DNS) surface as plain errors from jose's fetch.
  return "the identity provider's keys could not be fetched; try again later";
}
