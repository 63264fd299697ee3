// Counts failed attempts at one kind of credential (client secrets, or passwords) per source
// address and per subject (a client_id or an account), and refuses past either limit until
// the window ends.
//
// The count is taken BEFORE the expensive check: an attempt that will run argon2 first
// reserves a failure on both counters (`reserve`), so a parallel batch cannot all pass a
// check made before any of them failed; a success gives the reservation back. Attempts that
// cost nothing to answer (unknown client, a value already known wrong) are counted after
// the fact (`recordFailure`). A success never resets a counter: otherwise an attacker
// holding one valid credential could wipe their own address's count.
//
// When the store cannot count (Redis or PostgreSQL unreachable), the attempt is refused like
// one past the limit (Throttled with limit "store"): counting in each process alone would let
// N processes allow N times the limit. Secrets a process has already verified never reach the
// throttle, so clients already working keep working.
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { ThrottleLimits } from "../config/index.ts";
import type { CounterStore } from "./counters.ts";
import { Throttled, type ThrottleLimit } from "./throttled.ts";

/** Retry-After when the store could not count: a reconnect usually takes a few seconds. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/** Told of every count that worked and every one the store could not take. */
export interface StoreHealth {
  counted(): void;
  failed(throttle: string, error: unknown): void;
}

export interface ThrottleKeys {
  /** The source address, IPv6 grouped by /64 (throttleAddress). */
  address: string;
  /** The client_id or account, or null when there is none worth a counter (an unknown client). */
  subject: string | null;
}

/** What a limit's first refusal in a window reports (once per window and counter). */
export interface ThrottleTrip<C> {
  throttle: string;
  limit: ThrottleLimit;
  keys: ThrottleKeys;
  failures: number;
  windowSeconds: number;
  context: C;
}

export interface Reservation {
  /** The attempt succeeded: it was not a failure after all. */
  refund(): Promise<void>;
}

export class FailureThrottle<C> {
  readonly #name: string;
  readonly #limits: ThrottleLimits;
  readonly #address: RateLimiterAbstract;
  readonly #subject: RateLimiterAbstract;
  readonly #onTrip: (trip: ThrottleTrip<C>) => Promise<void>;
  readonly #health: StoreHealth;

  constructor(
    name: string,
    limits: ThrottleLimits,
    store: CounterStore,
    onTrip: (trip: ThrottleTrip<C>) => Promise<void>,
    health: StoreHealth = { counted() {}, failed() {} },
  ) {
    this.#name = name;
    this.#limits = limits;
    this.#address = store.counter(`${name}_address`, limits.perAddress, limits.windowSeconds);
    this.#subject = store.counter(`${name}_subject`, limits.perSubject, limits.windowSeconds);
    this.#onTrip = onTrip;
    this.#health = health;
  }

  /** Counts one failure ahead of a check; throws Throttled (and counts nothing) past a limit. */
  async reserve(keys: ThrottleKeys, context: C): Promise<Reservation> {
    await this.#charge(keys, context);
    let refunded = false;
    return {
      refund: async () => {
        if (refunded) return;
        refunded = true;
        // A refund the store cannot take leaves the failure counted: the safe side.
        await Promise.all([
          this.#address.reward(keys.address, 1).catch(() => undefined),
          keys.subject !== null ? this.#subject.reward(keys.subject, 1).catch(() => undefined) : undefined,
        ]);
      },
    };
  }

  /** Counts a failure that needed no check; throws Throttled when it went past a limit. */
  async recordFailure(keys: ThrottleKeys, context: C): Promise<void> {
    await this.#charge(keys, context);
  }

  async #charge(keys: ThrottleKeys, context: C): Promise<void> {
    await this.#consume(this.#address, "address", keys, context);
    if (keys.subject === null) return;
    try {
      await this.#consume(this.#subject, "subject", keys, context);
    } catch (err) {
      // Refused for the client's or account's sake: not this address's failure.
      await this.#address.reward(keys.address, 1).catch(() => undefined);
      throw err;
    }
  }

  async #consume(counter: RateLimiterAbstract, limit: ThrottleLimit, keys: ThrottleKeys, context: C): Promise<void> {
    const key = limit === "address" ? keys.address : keys.subject!;
    try {
      await counter.consume(key, 1);
      this.#health.counted();
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) {
        this.#health.failed(this.#name, refusal);
        throw new Throttled(this.#name, "store", STORE_RETRY_AFTER_SECONDS);
      }
      // The store's increment is atomic: exactly one attempt per window sees limit + 1.
      if (refusal.consumedPoints === counter.points + 1) {
        await this.#onTrip({ throttle: this.#name, limit, keys, failures: counter.points, windowSeconds: this.#limits.windowSeconds, context });
      }
      throw new Throttled(this.#name, limit, Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)));
    }
  }
}
