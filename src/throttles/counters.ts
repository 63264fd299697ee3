// Where the throttles keep their counts, so that every process sees the same numbers:
// Redis when REDIS_URL is set, else PostgreSQL when it is the database, else this process's
// memory (one SQLite process). rate-limiter-flexible does the counting: one atomic
// increment-and-read per attempt in each store (INSERT ... ON CONFLICT in PostgreSQL, a Lua
// script in Redis), fixed windows. When the shared store fails there is no in-memory stand-in:
// N processes counting alone would allow N times the limit, so the throttle refuses what it
// cannot count instead (src/throttles/failure-throttle.ts).
// The PostgreSQL and Redis clients are imported only when used: a SQLite process without
// REDIS_URL never loads either (about 7-10 MB resident between them).
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "../config/index.ts";
import type { Provider } from "../db/url.ts";

/** The table of the `throttle_counters` migration (model ThrottleCounter), in rate-limiter-flexible's own layout. */
export const THROTTLE_TABLE = "ThrottleCounter";

export interface CounterStore {
  readonly kind: "memory" | "postgresql" | "redis";
  /** A counter of `limit` failures per `windowSeconds`, its keys namespaced by `name`. */
  counter(name: string, limit: number, windowSeconds: number): RateLimiterAbstract;
  close(): Promise<void>;
}

export async function openCounterStore(config: Config, provider: Provider): Promise<CounterStore> {
  const memory = (name: string, limit: number, windowSeconds: number) =>
    new RateLimiterMemory({ keyPrefix: name, points: limit, duration: windowSeconds });
  // Past the limit a key is refused from memory until its window ends: an attack that
  // has been cut off costs no further round-trip to the shared store.
  const shared = (name: string, limit: number, windowSeconds: number) => ({
    keyPrefix: name,
    points: limit,
    duration: windowSeconds,
    inMemoryBlockOnConsumed: limit + 1,
  });

  if (config.redis.url) {
    // enableOfflineQueue off: while Redis is away a count fails at once (and is refused),
    // instead of requests queueing behind a reconnect.
    const { Redis } = await import("ioredis");
    const redis = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on("error", () => undefined); // reconnects by itself; meanwhile counts fail and are refused
    await redis.connect().catch(() => undefined);
    return {
      kind: "redis",
      counter: (name, limit, windowSeconds) =>
        new RateLimiterRedis({ storeClient: redis, ...shared(`${config.redis.keyPrefix}:throttle:${name}`, limit, windowSeconds) }),
      async close() {
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }
  if (provider === "postgresql") {
    const { default: pg } = await import("pg");
    // A count that cannot get a connection within 2 s fails (and is refused) rather than waits.
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4, connectionTimeoutMillis: 2000 });
    pool.on("error", () => undefined); // an idle client lost: the pool replaces it
    return {
      kind: "postgresql",
      counter: (name, limit, windowSeconds) =>
        new RateLimiterPostgres({
          storeClient: pool,
          tableName: THROTTLE_TABLE,
          // The table comes from the migration, not from the library at run time.
          tableCreated: true,
          // Rows whose window ended an hour ago are deleted every five minutes.
          clearExpiredByTimeout: true,
          ...shared(name, limit, windowSeconds),
        }),
      async close() {
        await pool.end();
      },
    };
  }
  return { kind: "memory", counter: memory, async close() {} };
}
