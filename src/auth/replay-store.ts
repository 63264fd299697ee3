// One-time values (the `jti` of private_key_jwt assertions and of DPoP proofs) that must be
// accepted once by the whole system, not once per process: Redis when REDIS_URL is set, else
// the database's UsedJti table (PostgreSQL shared by every process; SQLite is one process).
// If the store cannot answer, the value is refused (StoreUnavailable): counting nothing would
// let a replay through in every process that lost its store.
import type { Config } from "../config/index.ts";
import type { Db } from "../db/client.ts";

export class ReplayStoreUnavailable extends Error {
  override name = "ReplayStoreUnavailable";
}

export interface ReplayStore {
  /**
   * Records `key` until `expiresAt`. True the first time a key is seen; false when it was seen
   * before and has not expired. Throws ReplayStoreUnavailable when the store fails.
   */
  firstUse(key: string, expiresAt: Date): Promise<boolean>;
  close(): Promise<void>;
}

/** Prisma's unique-constraint violation. */
const isDuplicate = (err: unknown) => (err as { code?: string } | null)?.code === "P2002";

export class DatabaseReplayStore implements ReplayStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async firstUse(key: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.#db.usedJti.create({ data: { key, expiresAt } });
      return true;
    } catch (err) {
      if (!isDuplicate(err)) throw new ReplayStoreUnavailable("the replay store failed", { cause: err });
    }
    // Seen before. A row the janitor has not swept yet may have expired: take it over, once.
    try {
      const taken = await this.#db.usedJti.updateMany({ where: { key, expiresAt: { lt: new Date() } }, data: { expiresAt } });
      return taken.count === 1;
    } catch (err) {
      throw new ReplayStoreUnavailable("the replay store failed", { cause: err });
    }
  }

  async close(): Promise<void> {}
}

interface RedisLike {
  set(key: string, value: string, px: "PX", ms: number, nx: "NX"): Promise<string | null>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export class RedisReplayStore implements ReplayStore {
  readonly #redis: RedisLike;
  readonly #prefix: string;
  constructor(redis: RedisLike, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async firstUse(key: string, expiresAt: Date): Promise<boolean> {
    const ttl = Math.max(1000, expiresAt.getTime() - Date.now());
    try {
      return (await this.#redis.set(`${this.#prefix}:jti:${key}`, "1", "PX", ttl, "NX")) === "OK";
    } catch (err) {
      throw new ReplayStoreUnavailable("the replay store failed", { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

export async function openReplayStore(config: Config, db: Db): Promise<ReplayStore> {
  if (!config.redis.url) return new DatabaseReplayStore(db);
  const { Redis } = await import("ioredis");
  // No offline queue: while Redis is away a use fails at once (and is refused) instead of waiting.
  const redis = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on("error", () => undefined);
  await redis.connect().catch(() => undefined);
  return new RedisReplayStore(redis as unknown as RedisLike, config.redis.keyPrefix);
}
