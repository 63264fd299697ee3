// Remembers that a JWT's signature and its fixed claims (iss, typ, aud) verified, so a token
// presented again is not verified again: a middle tier sends the same person's token with
// every call it makes on their behalf. Envoy's jwt_authn does the same (jwt_cache_config).
// What changes with time is checked on every hit: `exp` and `nbf`. An entry lives at most
// until the token expires and never longer than the cache's maxAgeMs; and a hit whose signing
// key the caller no longer trusts (`keyTrusted`, e.g. a key past its publication window) is
// dropped, so a retired key is refused at once here too, not maxAgeMs later.
//
// Why: verifying an ES256 subject token was the largest cost left on the token-exchange and
// on-behalf-of paths after their database reads went (a verification costs more CPU than the
// signature of the new token); figures in bench/results/performance-history.md.
import type { JWTPayload } from "jose";
import { LRUCache } from "lru-cache";

export class VerifiedJwtCache<P extends JWTPayload = JWTPayload> {
  readonly #maxAgeMs: number;
  #entries: LRUCache<string, { payload: P; kid: string | undefined }>;
  /** Lookups answered from the cache, and those that were not (for the metrics). */
  hits = 0;
  misses = 0;

  constructor(options: { maxAgeMs: number; max?: number }) {
    this.#maxAgeMs = options.maxAgeMs;
    this.#entries = new LRUCache<string, { payload: P; kid: string | undefined }>({ max: options.max ?? 10_000, ttlAutopurge: false });
  }

  /** The payload of a token that verified before and is still within its time window, or undefined. */
  get(key: string, clockToleranceSeconds = 0, keyTrusted: (kid: string | undefined) => boolean = () => true): P | undefined {
    const payload = this.#lookup(key, clockToleranceSeconds, keyTrusted);
    if (payload) this.hits++;
    else this.misses++;
    return payload;
  }

  #lookup(key: string, clockToleranceSeconds: number, keyTrusted: (kid: string | undefined) => boolean): P | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (!keyTrusted(entry.kid)) {
      this.#entries.delete(key);
      return undefined;
    }
    const payload = entry.payload;
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.exp === "number" && payload.exp <= now - clockToleranceSeconds) {
      this.#entries.delete(key);
      return undefined;
    }
    if (typeof payload.nbf === "number" && payload.nbf > now + clockToleranceSeconds) return undefined;
    return payload;
  }

  /** Only tokens with an expiry are kept; the entry ends with it, or after maxAgeMs. */
  set(key: string, payload: P, kid?: string): void {
    if (typeof payload.exp !== "number") return;
    const ttl = Math.min(payload.exp * 1000 - Date.now(), this.#maxAgeMs);
    if (ttl > 0) this.#entries.set(key, { payload, kid }, { ttl });
  }

  clear(): void {
    this.#entries.clear();
  }
}
