// An organization's identity providers as token exchange reads them on every request, so an
// exchange does not wait on the database for a row that changes a few times a year. Changes
// (register, update, remove) are announced through the change feed, which drops the
// organization's entry here and in every other process sharing the database; a missed notice
// is made up for within FRESH_MS, the same bound as the membership directory.
//
// Why: the provider read was one of the two database reads per external exchange; without
// this directory and the email lookup below, exchange measured 0.14-0.19x client_credentials
// (`npx tsx bench/token-exchange.ts --quick`, 04:40 and 04:51); figures with it in
// bench/results/performance-history.md.
import { LRUCache } from "lru-cache";
import type { Db, Prisma } from "../db/client.ts";

export type IdentityProviderRow = Prisma.IdentityProviderGetPayload<object>;

const FRESH_MS = 2000;

export class IdentityProviderDirectory {
  #db: Db;
  #cache = new LRUCache<string, readonly IdentityProviderRow[]>({ max: 1_000, ttl: FRESH_MS });
  #inflight = new Map<string, Promise<readonly IdentityProviderRow[]>>();
  /** Bumped by every change, so a read that started before one is not cached. */
  #changes = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Every provider of the organization (a handful at most: IDP_LIMITS.providersPerOrganization). */
  async ofOrganization(organizationId: string): Promise<readonly IdentityProviderRow[]> {
    const cached = this.#cache.get(organizationId);
    if (cached) return cached;
    let pending = this.#inflight.get(organizationId);
    if (!pending) {
      pending = this.#load(organizationId).finally(() => this.#inflight.delete(organizationId));
      this.#inflight.set(organizationId, pending);
    }
    return pending;
  }

  forget(organizationId: string): void {
    this.#changes++;
    this.#cache.delete(organizationId);
    // A read that started before the change must not answer for after it.
    this.#inflight.delete(organizationId);
  }

  /** Notices may have been missed: every organization's providers are read again. */
  clear(): void {
    this.#changes++;
    this.#cache.clear();
    this.#inflight.clear();
  }

  async #load(organizationId: string): Promise<readonly IdentityProviderRow[]> {
    const changes = this.#changes;
    const rows = await this.#db.identityProvider.findMany({ where: { organizationId }, orderBy: { createdAt: "asc" } });
    if (changes === this.#changes) this.#cache.set(organizationId, rows);
    return rows;
  }
}
