// What a throttle answers past its limit: which limit, and when to come back.

/** The counter that refused: the source address, or the client / account from every address. */
export type ThrottleLimit = "address" | "subject";

export class Throttled extends Error {
  override name = "Throttled";
  constructor(
    readonly throttle: string,
    readonly limit: ThrottleLimit,
    /** Whole seconds until the window ends (at least 1): the Retry-After value. */
    readonly retryAfterSeconds: number,
  ) {
    super(`too many failed attempts (${throttle}, per ${limit}); retry after ${retryAfterSeconds} s`);
  }
}
