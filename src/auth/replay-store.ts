// One-time values (the `jti` of private_key_jwt assertions and of DPoP proofs) that must be
// accepted once by the whole system, not once per process: Redis when REDIS_URL is set, else
// the database's UsedJti table (PostgreSQL shared by every process; SQLite is one process).
// If the store cannot answer, the value is refused (StoreUnavailable): counting nothing would
// let a replay through in every process that lost its store.
import type { Config } from "../config/index.ts";
import type { Db } from "../db/client.ts";
import { providerOf } from "../db/url.ts";

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

/**
 * How the SQLite store keeps a key in UsedJti: `<write time, 13 digits of ms>/<key>`, so rows are
 * appended in time order (see SingleProcessReplayStore.#write). Keys written by the shared-table
 * store, or before 0.2.0, have no prefix; both forms are read back as the plain key.
 */
export function storedKey(writtenAtMs: number, key: string): string {
  return `${String(writtenAtMs).padStart(13, "0")}/${key}`;
}
const STORED_KEY = /^\d{13}\//;
export function storedKeyToKey(stored: string): string {
  return STORED_KEY.test(stored) ? stored.slice(14) : stored;
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

/**
 * SQLite: one process per database file (a second `serve` refuses to start), so this process's
 * memory is the whole system's memory. The live rows an earlier process left in UsedJti are
 * read once, at the first use; from then on memory answers, and uses are written to the table in
 * batches (one statement per flush instead of a transaction per request) so that the next
 * process refuses them too. A crash loses at most the last flush interval's uses (50 ms).
 */
export class SingleProcessReplayStore implements ReplayStore {
  readonly #db: Db;
  readonly #seen = new Map<string, number>();
  #pending: { key: string; expiresAt: Date }[] = [];
  #flushing: Promise<void> | null = null;
  #ready: Promise<void> | null = null;
  readonly #flushMs: number;
  #timer: NodeJS.Timeout | null = null;
  #lastPrune = Date.now();
  /** Each flush gets its own write time, so no two flushes share a stored key. */
  #lastWrittenAt = 0;

  constructor(db: Db, options: { flushMs?: number } = {}) {
    this.#db = db;
    this.#flushMs = options.flushMs ?? 50;
  }

  async #load(): Promise<void> {
    try {
      const rows = await this.#db.usedJti.findMany({ where: { expiresAt: { gt: new Date() } }, select: { key: true, expiresAt: true } });
      for (const row of rows) {
        const key = storedKeyToKey(row.key);
        this.#seen.set(key, Math.max(this.#seen.get(key) ?? 0, row.expiresAt.getTime()));
      }
    } catch (err) {
      this.#ready = null;
      throw new ReplayStoreUnavailable("the replay store failed", { cause: err });
    }
  }

  async firstUse(key: string, expiresAt: Date): Promise<boolean> {
    await (this.#ready ??= this.#load());
    const now = Date.now();
    const expires = this.#seen.get(key);
    if (expires !== undefined && expires > now) return false;
    this.#seen.set(key, expiresAt.getTime());
    this.#pending.push({ key, expiresAt });
    if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.#flushMs);
      this.#timer.unref?.();
    }
    if (now - this.#lastPrune > 10_000) this.#prune(now);
    return true;
  }

  /** Writes the uses remembered since the last flush (awaited on close). */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#flushing;
    // A key used again after it expired in memory is written once, with its latest expiry.
    const batch = [...new Map(this.#pending.map((row) => [row.key, row])).values()];
    this.#pending = [];
    if (batch.length === 0) return;
    this.#flushing = this.#write(batch)
      .catch(() => undefined)
      .finally(() => (this.#flushing = null));
    await this.#flushing;
  }

  /**
   * Appends the batch in one statement. Each row's key is prefixed with the time of the write
   * (storedKey), so a batch lands at the end of the table's index instead of at as many random
   * places in it: random keys cost SQLite 17 µs of CPU a row (each row dirtied its own index
   * page, written again to the WAL), time-ordered ones 4 µs (better-sqlite3 alone, 60,000 DPoP
   * keys). The rows travel as one JSON parameter that SQLite unpacks (json_each): Prisma spends
   * per parameter, and 2 a row cost 7 µs a row more (in-process, 60,000 uses, 2026-12-07:
   * 30 µs a use before both changes, 16 after). Timestamps are written as the better-sqlite3
   * adapter writes DateTime (ISO 8601 with +00:00), so Prisma reads and compares them as its own.
   */
  async #write(batch: { key: string; expiresAt: Date }[]): Promise<void> {
    const writtenAt = Math.max(Date.now(), this.#lastWrittenAt + 1);
    this.#lastWrittenAt = writtenAt;
    const rows = JSON.stringify(batch.map((row) => [storedKey(writtenAt, row.key), row.expiresAt.toISOString().replace("Z", "+00:00")]));
    await this.#db.$executeRawUnsafe(
      `INSERT INTO "UsedJti" ("key", "expiresAt") SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true ON CONFLICT ("key") DO UPDATE SET "expiresAt" = excluded."expiresAt"`,
      rows,
    );
  }

  #prune(now: number): void {
    this.#lastPrune = now;
    for (const [key, expires] of this.#seen) if (expires <= now) this.#seen.delete(key);
  }

  async close(): Promise<void> {
    await this.flush();
  }
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
  if (!config.redis.url) return providerOf(config.databaseUrl) === "sqlite" ? new SingleProcessReplayStore(db) : new DatabaseReplayStore(db);
  const { Redis } = await import("ioredis");
  // No offline queue: while Redis is away a use fails at once (and is refused) instead of waiting.
  const redis = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on("error", () => undefined);
  await redis.connect().catch(() => undefined);
  return new RedisReplayStore(redis as unknown as RedisLike, config.redis.keyPrefix);
}
