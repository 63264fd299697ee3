// A person's roles per organization: the ONE way the server reads memberships (the admin API, the
// authorization endpoint, every grant). A change (role changes, removals, accepted invitations)
// is announced through the change feed, which invalidates the person here and in every other
// process sharing the database; a missed notice is made up for within FRESH_MS.
import { LRUCache } from "lru-cache";
import type { Db } from "../db/client.ts";
import type { Role } from "./principal.ts";

export interface PersonRoles {
  /** Every organization the person belongs to, with their role there. */
  roles: ReadonlyMap<string, Role>;
  /** The operator organization's id when the person belongs to it (any role), else null. */
  operatorOrganizationId: string | null;
}

const FRESH_MS = 2000;

export class MembershipDirectory {
  #db: Db;
  // Sized for the people active within FRESH_MS: lru-cache allocates `max` slots at start, and
  // 50 000 with a TTL cost about 170 ms of start-up on the loaded bench machine.
  #cache = new LRUCache<string, PersonRoles>({ max: 10_000, ttl: FRESH_MS });
  /**
   * email → person, for token exchange's EMAIL mapping. Only found people are kept, and with no
   * expiry: a person's email never changes and people are never deleted here, so the answer
   * cannot go stale; an unknown email is asked again every time (it may be invited next).
   * Why: with the provider directory, it takes external exchange off the database (figures in
   * bench/results/performance-history.md).
   */
  #byEmail = new LRUCache<string, string>({ max: 10_000 });
  /** Bumped by every invalidation, so a read that started before one is not kept. */
  #generation = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(userId: string): Promise<PersonRoles> {
    const cached = this.#cache.get(userId);
    if (cached) return cached;
    const generation = this.#generation;
    const memberships = await this.#db.membership.findMany({
      where: { userId },
      select: { organizationId: true, role: true, organization: { select: { isOperator: true } } },
    });
    const value: PersonRoles = {
      roles: new Map(memberships.map((m) => [m.organizationId, m.role === "ADMIN" ? "ADMIN" : "MEMBER"] as const)),
      operatorOrganizationId: memberships.find((m) => m.organization.isOperator)?.organizationId ?? null,
    };
    if (generation === this.#generation) this.#cache.set(userId, value);
    return value;
  }

  /** The person's role in one organization, or null when they do not belong to it. */
  async roleIn(userId: string, organizationId: string): Promise<Role | null> {
    return (await this.get(userId)).roles.get(organizationId) ?? null;
  }

  async isMember(userId: string, organizationId: string): Promise<boolean> {
    return (await this.roleIn(userId, organizationId)) !== null;
  }

  /** The person with this (lower-case) email, or null. */
  async userIdByEmail(email: string): Promise<string | null> {
    const cached = this.#byEmail.get(email);
    if (cached) return cached;
    const user = await this.#db.user.findUnique({ where: { email }, select: { id: true } });
    if (user) this.#byEmail.set(email, user.id);
    return user?.id ?? null;
  }

  invalidate(userId: string): void {
    this.#generation++;
    this.#cache.delete(userId);
  }

  /** Notices may have been missed: everyone's roles are read again. */
  clear(): void {
    this.#generation++;
    this.#cache.clear();
  }
}
