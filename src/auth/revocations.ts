// Whether an access token was revoked (RFC 7009), as the one access-token verifier asks on
// every request. A revocation made by this process holds here at once: it is noted before
// its transaction commits. A revocation made by another process sharing the database (the CLI,
// another server) arrives through the change feed when its transaction commits (`forget`), and
// at the latest within FRESH_MS: a token found not revoked is not asked about again for that
// long. A token found revoked stays refused until it expires.
//
// Why a cache at all: the revoked-token read was the one database read left on the
// on-behalf-of path and on every /graphql request. Without it, on-behalf-of measured 0.24x
// client_credentials (`npx tsx bench/token-exchange.ts --quick`, 04:51); see
// bench/results/performance-history.md for the figure with it.
import { LRUCache } from "lru-cache";
import type { ChangeFeed } from "../changes/feed.ts";
import type { Db, Prisma } from "../db/client.ts";

/** How long another process may still accept a token revoked elsewhere (documented in the README). */
export const REVOCATION_FRESH_MS = 1000;

export class RevocationList {
  #db: Db;
  // lru-cache allocates its arrays for `max` entries up front (a 100 000-entry cache with a TTL
  // took 340 ms to build on the loaded bench machine, 10 000 about a tenth): sized for the
  // tokens of one busy second, not for all of them. An evicted entry costs one database read.
  /** jti → the database said "not revoked" less than REVOCATION_FRESH_MS ago. */
  #notRevoked = new LRUCache<string, true>({ max: 10_000, ttl: REVOCATION_FRESH_MS });
  /** jti → revoked; each entry lives until its token expires, after which it is refused anyway. */
  #revoked = new LRUCache<string, true>({ max: 10_000 });
  #inflight = new Map<string, Promise<boolean>>();
  #changes: Pick<ChangeFeed, "announce">;
  /** Bumped by every notice, so a read that started before one does not answer for after it. */
  #generation = 0;

  constructor(db: Db, changes: Pick<ChangeFeed, "announce">) {
    this.#db = db;
    this.#changes = changes;
  }

  announceRevoked(tx: Pick<Prisma.TransactionClient, "$executeRawUnsafe">, jti: string): Promise<void> {
    return this.#changes.announce("revocation", jti, tx);
  }

  /** A revocation announced by the change feed: the next check asks the database. */
  forget(jti: string): void {
    this.#generation++;
    this.#notRevoked.delete(jti);
    this.#inflight.delete(jti);
  }

  /** Notices may have been missed: every "not revoked" answer is asked again. */
  clear(): void {
    this.#generation++;
    this.#notRevoked.clear();
    this.#inflight.clear();
  }

  /** Noted by every revocation of this process, before its transaction commits. */
  noteRevoked(jti: string, expiresAt: Date): void {
    this.#notRevoked.delete(jti);
    const ttl = expiresAt.getTime() - Date.now();
    if (ttl > 0) this.#revoked.set(jti, true, { ttl });
  }

  async isRevoked(jti: string, expiresAt: Date): Promise<boolean> {
    if (this.#revoked.has(jti)) return true;
    if (this.#notRevoked.has(jti)) return false;
    let pending = this.#inflight.get(jti);
    if (!pending) {
      pending = this.#read(jti, expiresAt).finally(() => this.#inflight.delete(jti));
      this.#inflight.set(jti, pending);
    }
    return pending;
  }

  async #read(jti: string, expiresAt: Date): Promise<boolean> {
    const generation = this.#generation;
    const row = await this.#db.revokedAccessToken.findUnique({ where: { jti }, select: { jti: true } });
    // A revocation noted while the read ran wins over the read's answer.
    if (this.#revoked.has(jti)) return true;
    if (row) {
      this.noteRevoked(jti, expiresAt);
      return true;
    }
    if (generation === this.#generation) this.#notRevoked.set(jti, true);
    return false;
  }
}
