// What a throttle answers past its limit: which limit, and when to come back.

/**
 * The counter that refused: the source address, or the client / account from every address;
 * "store" when the shared store (Redis, PostgreSQL) could not count the attempt at all.
 */
export type ThrottleLimit = "address" | "subject" | "store";

export class Throttled extends Error {
  override name = "Throttled";
  constructor(
    readonly throttle: string,
    readonly limit: ThrottleLimit,
    /** Whole seconds until the window ends (at least 1): the Retry-After value. */
    readonly retryAfterSeconds: number,
  ) {
    super(
      limit === "store"
        ? `attempts cannot be counted now (${throttle}: the throttle store is unreachable); retry after ${retryAfterSeconds} s`
        : `too many failed attempts (${throttle}, per ${limit}); retry after ${retryAfterSeconds} s`,
    );
  }

  /** The `reason` label of scopekeeper_throttled_requests_total; `subject` names what the subject is (client, account). */
  reason(subject: string): string {
    return `${this.throttle}_${this.limit === "subject" ? subject : this.limit === "store" ? "store_unavailable" : "address"}`;
  }
}
