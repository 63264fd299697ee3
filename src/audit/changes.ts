// Changes to the registry committed through this process, counted. Whatever keeps answers for
// a moment (the admin API's response cache, src/graphql/response-cache.ts) keys them by this
// count, so a change made here shows on the very next request. A change made by another
// process sharing the database is not counted here; such caches expire on their own.
export class ChangeCounter {
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Called by every audited change (src/applications/service.ts `audit`) and after every GraphQL mutation. */
  record(): void {
    this.#count++;
  }
}

/** One per process: several servers in one process (as in the tests) only clear each other's caches. */
export const registryChanges = new ChangeCounter();
