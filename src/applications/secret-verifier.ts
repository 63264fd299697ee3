// Verifies presented client secrets. argon2id runs once per (secret, process): afterwards a
// bounded cache keyed by a keyed hash of the presented secret (never the secret itself)
// answers, and it consults the live ClientView each time, so revocation and expiry still
// apply at once. Concurrent first requests for one secret share a single argon2 run.
// A wrong value is remembered too: a client stuck on an old secret, or anyone replaying one
// wrong guess with a valid secret id, costs one argon2 run, not one per request.
import { hash, randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import { parseSecretId, argon2Verify } from "../crypto/secrets.ts";
import type { ClientView } from "./client-directory.ts";

export class SecretVerifier {
  // A per-process key: cache keys are useless to anyone who reads this process's memory dump later.
  #key = randomBytes(32).toString("base64url");
  /** keyed hash of the presented secret -> the stored hash it verified against */
  #verified = new LRUCache<string, string>({ max: 10_000 });
  /** keyed hash of a presented value -> the stored hash it failed against (a stored hash never changes) */
  #rejected = new LRUCache<string, string>({ max: 10_000 });
  #inflight = new Map<string, Promise<boolean>>();
  /** Counts argon2 runs, for tests and benchmarks that prove the cache and coalescing work. */
  argonRuns = 0;
  /** Verifications answered from the caches, for the metrics. */
  cacheHits = 0;
  /** Verifications the caches could not answer (an argon2 run, or joining one in flight). */
  cacheMisses = 0;

  /**
   * Returns the id of the secret that matched, or null. `beforeArgon2` runs only when this
   * call is about to start a new argon2 run (not for cached answers or a run already under
   * way): the throttle counts the attempt there, and may refuse it by throwing.
   */
  async verify(client: ClientView, presented: string, options: { now?: number; beforeArgon2?: () => Promise<void> } = {}): Promise<string | null> {
    const now = options.now ?? Date.now();
    const secretId = parseSecretId(presented);
    if (!secretId) return null;
    const secret = client.secrets.get(secretId);
    if (!secret || secret.revoked || (secret.expiresAt !== null && secret.expiresAt <= now)) return null;
    // SHA-256 over a fixed-length secret prefix is a keyed hash fit for an equality lookup
    // (no length-extension concern), and the one-shot hash avoids an Hmac object per request.
    const cacheKey = hash("sha256", this.#key + presented, "base64url");
    if (this.#verified.get(cacheKey) === secret.hash) {
      this.cacheHits++;
      return secret.id;
    }
    if (this.#rejected.get(cacheKey) === secret.hash) {
      this.cacheHits++;
      return null;
    }

    this.cacheMisses++;
    let pending = this.#inflight.get(cacheKey);
    const leads = !pending;
    if (!pending) {
      // Registered at once, before the throttle answers, so that a burst of identical first
      // requests is one attempt: one count, one argon2 run.
      const allowed = options.beforeArgon2 ? options.beforeArgon2() : Promise.resolve();
      pending = allowed
        .then(() => {
          this.argonRuns++;
          return argon2Verify(secret.hash, presented);
        })
        .finally(() => this.#inflight.delete(cacheKey));
      this.#inflight.set(cacheKey, pending);
    }
    let ok: boolean;
    try {
      ok = await pending;
    } catch (err) {
      // The throttle refused the attempt this one joined (it may have come from another
      // address): try again as an attempt of its own.
      if (leads) throw err;
      return this.verify(client, presented, options);
    }
    if (!ok) {
      this.#rejected.set(cacheKey, secret.hash);
      return null;
    }
    this.#verified.set(cacheKey, secret.hash);
    return secret.id;
  }
}
