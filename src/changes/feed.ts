// The change feed: how a change made in one process reaches the caches of every other process
// sharing the database. The code that writes calls `announce(kind, id)` once its write has
// committed (or, for revocations written deep inside transactions, with the transaction, so
// PostgreSQL sends the notice when and only when it commits). The announcement runs this
// process's handlers at once and, on PostgreSQL, goes out as a NOTIFY on one channel; every
// process LISTENs on a connection of its own (not one of the pool's) and runs the same handlers
// for notices from the others. A lost connection means notices may have been missed: when it is
// back, every cache is emptied (`onReset`). The caches' own time bounds stay as the fallback for
// the moments in between.
//
// SQLite is one process: the feed there is in-process only, same interface, no LISTEN. So is
// PostgreSQL with CHANGE_FEED=off (the bench's "before").
import { randomBytes } from "node:crypto";
import type { Db, Prisma } from "../db/client.ts";

/** What a cache holds, by what identifies an entry (the id announced with it). */
export const CHANGE_KINDS = [
  /** an access token's jti (RFC 7009), revoked alone or with its refresh-token family */
  "revocation",
  /** an application's clientId: its settings, secrets, grants, publication, keys */
  "application",
  /** a person's userId: memberships and roles */
  "membership",
  /** an organization's id: its identity providers */
  "identity-provider",
  /** the new active signing key's kid (a rotation) */
  "signing-key",
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** The PostgreSQL channel every process listens on. */
export const CHANGE_CHANNEL = "scopekeeper_changes";

type Tx = Pick<Prisma.TransactionClient, "$executeRawUnsafe">;
type Handler = (id: string) => void;

export interface ChangeFeedStats {
  /** Announcements made by this process. */
  announced: number;
  /** Notices received from other processes. */
  received: number;
  /** Times every cache was emptied because the listening connection came back. */
  resets: number;
  /** Notices that could not be sent, and losses of the listening connection. */
  failures: number;
  /** Whether this process is listening now (always true in process). */
  listening: boolean;
}

export interface ChangeFeed {
  /** "postgresql" when notices travel between processes, "in-process" otherwise. */
  readonly mode: "postgresql" | "in-process";
  /**
   * Drops the entry in this process at once and in every other one. Call it after the write
   * committed; or pass the transaction (`within`) to send the notice when it commits (nothing if
   * it rolls back). Never throws: a notice that cannot be sent leaves the time bounds to it.
   */
  announce(kind: ChangeKind, id: string, within?: Tx): Promise<void>;
  /** Runs `handler` with the id of every change of this kind, from this process or another. */
  on(kind: ChangeKind, handler: Handler): void;
  /** Runs `handler` when notices may have been missed (the listening connection came back). */
  onReset(handler: () => void): void;
  readonly stats: ChangeFeedStats;
  close(): Promise<void>;
}

class LocalFeed implements ChangeFeed {
  readonly mode: ChangeFeed["mode"] = "in-process";
  readonly stats: ChangeFeedStats = { announced: 0, received: 0, resets: 0, failures: 0, listening: true };
  #handlers = new Map<ChangeKind, Handler[]>();
  #resetHandlers: (() => void)[] = [];

  on(kind: ChangeKind, handler: Handler): void {
    this.#handlers.set(kind, [...(this.#handlers.get(kind) ?? []), handler]);
  }

  onReset(handler: () => void): void {
    this.#resetHandlers.push(handler);
  }

  async announce(kind: ChangeKind, id: string, within?: Tx): Promise<void> {
    this.stats.announced++;
    this.dispatch(kind, id);
    await this.publish(kind, id, within);
  }

  protected async publish(_kind: ChangeKind, _id: string, _within?: Tx): Promise<void> {}

  protected dispatch(kind: ChangeKind, id: string): void {
    // A handler that throws must not keep the others from dropping their entries.
    for (const handler of this.#handlers.get(kind) ?? []) {
      try {
        handler(id);
      } catch {
        /* the time bound of that cache is the fallback */
      }
    }
  }

  protected reset(): void {
    this.stats.resets++;
    for (const handler of this.#resetHandlers) {
      try {
        handler();
      } catch {
        /* as above */
      }
    }
  }

  async close(): Promise<void> {}
}

export interface PostgresFeedOptions {
  db: Pick<Db, "$executeRawUnsafe">;
  databaseUrl: string;
  /** One line per lost or regained connection (the server's stderr). */
  log?: (line: string) => void;
  /** The longest wait between two attempts to listen again. */
  maxRetryMs?: number;
  /** How often the listening connection is checked (a silently dead socket sends nothing). */
  pingMs?: number;
}

interface ListenClient {
  connect(): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: "notification", cb: (msg: { channel: string; payload?: string }) => void): unknown;
  on(event: "error" | "end", cb: (err?: Error) => void): unknown;
  removeAllListeners(): unknown;
}

class PostgresFeed extends LocalFeed {
  override readonly mode = "postgresql" as const;
  /** Tells this process's own notices (already handled at announce) from the others'. */
  readonly #origin = randomBytes(8).toString("base64url");
  #opts: Required<Omit<PostgresFeedOptions, "log">> & { log: (line: string) => void };
  #client: ListenClient | null = null;
  #closed = false;
  #retryMs = 50;
  #retryTimer: NodeJS.Timeout | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  /** Set once a connection has been lost or could not be made: the next LISTEN empties the caches. */
  #mayHaveMissed = false;

  constructor(opts: PostgresFeedOptions) {
    super();
    this.#opts = { maxRetryMs: 2000, pingMs: 15_000, log: (line) => console.error(line), ...opts };
    this.stats.listening = false;
  }

  /** Resolves once listening, or after the first failed attempt (retries go on in the background). */
  async start(): Promise<void> {
    await this.#listen();
    this.#pingTimer = setInterval(() => void this.#ping(), this.#opts.pingMs);
    this.#pingTimer.unref();
  }

  protected override async publish(kind: ChangeKind, id: string, within?: Tx): Promise<void> {
    const payload = JSON.stringify([this.#origin, kind, id]);
    try {
      await (within ?? this.#opts.db).$executeRawUnsafe("SELECT pg_notify($1, $2)", CHANGE_CHANNEL, payload);
    } catch (err) {
      // Inside a transaction the failure is the transaction's: it rolls back, as it must.
      if (within) throw err;
      this.stats.failures++;
      this.#opts.log(`scopekeeper: change feed: could not announce a change (${kind}); other processes see it within their caches' time bounds: ${(err as Error).message}`);
    }
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: this.#opts.databaseUrl, keepAlive: true }) as unknown as ListenClient;
    this.#client = client;
    client.on("notification", (msg) => this.#received(msg.payload));
    client.on("error", (err) => this.#lost(client, err));
    client.on("end", () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      this.#lost(client, err as Error);
      return;
    }
    if (this.#client !== client) return;
    this.stats.listening = true;
    this.#retryMs = 50;
    if (this.#mayHaveMissed) {
      this.#mayHaveMissed = false;
      this.#opts.log("scopekeeper: change feed: listening again; every cache was emptied");
      this.reset();
    }
  }

  #received(payload: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? "");
    } catch {
      return;
    }
    if (!Array.isArray(parsed) || parsed.length !== 3) return;
    const [origin, kind, id] = parsed as unknown[];
    if (origin === this.#origin || typeof id !== "string" || !CHANGE_KINDS.includes(kind as ChangeKind)) return;
    this.stats.received++;
    this.dispatch(kind as ChangeKind, id);
  }

  #lost(client: ListenClient, err?: Error): void {
    if (this.#client !== client) return;
    this.#client = null;
    client.removeAllListeners();
    client.on("error", () => undefined);
    void client.end().catch(() => undefined);
    if (this.#closed) return;
    if (this.stats.listening) {
      this.stats.failures++;
      this.#opts.log(`scopekeeper: change feed: lost the listening connection${err ? ` (${err.message})` : ""}; caches fall back to their time bounds until it is back`);
    }
    this.stats.listening = false;
    this.#mayHaveMissed = true;
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, this.#opts.maxRetryMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#listen();
    }, wait);
    this.#retryTimer.unref();
  }

  async #ping(): Promise<void> {
    const client = this.#client;
    if (!client || !this.stats.listening) return;
    try {
      await client.query("SELECT 1");
    } catch (err) {
      this.#lost(client, err as Error);
    }
  }

  override async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    const client = this.#client;
    this.#client = null;
    this.stats.listening = false;
    if (client) {
      client.removeAllListeners();
      client.on("error", () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * The feed for this process: across processes on PostgreSQL (unless `enabled` is false), in
 * process otherwise. On PostgreSQL it is listening when this resolves, or retrying in the
 * background if the first attempt failed.
 */
export async function openChangeFeed(
  options: { provider: "sqlite" | "postgresql"; enabled: boolean; listen?: boolean } & PostgresFeedOptions,
): Promise<ChangeFeed> {
  if (options.provider !== "postgresql" || !options.enabled) return new LocalFeed();
  const feed = new PostgresFeed(options);
  // A one-off command (the CLI) only announces: it keeps no cache worth a connection of its own.
  if (options.listen !== false) await feed.start();
  return feed;
}

/** The in-process feed, for code that runs without a server (tests, one-off tools). */
export function inProcessFeed(): ChangeFeed {
  return new LocalFeed();
}
