// Prisma client factory: one generated client per provider, one client type for the rest of
// the code. The PostgreSQL client is generated from a schema derived from the SQLite one, so
// the two expose the same model API; the cast below is checked by test/db-schema.test.ts.
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { Database as BetterSqlite3Database } from "better-sqlite3";
import { reusePreparedStatements } from "./sqlite-statements.ts";
import { PrismaClient as SqliteClient } from "../../generated/sqlite/client.ts";
import { ensureSqliteDirectory, providerOf, type Provider } from "./url.ts";

export type Db = SqliteClient;
export type { Prisma } from "../../generated/sqlite/client.ts";

/** The PostgreSQL connection pool's counts, for the metrics. */
export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface DbHandle {
  db: Db;
  provider: Provider;
  /** PostgreSQL only: SQLite has no pool. */
  pool?: PoolStats;
}

export interface DbOptions {
  /** Called with every SQL statement: for tests that prove a constant query count. */
  onQuery?: (sql: string) => void;
}

export async function createDb(databaseUrl: string, options: DbOptions = {}): Promise<DbHandle> {
  const log = options.onQuery ? ([{ emit: "event", level: "query" }] as const) : undefined;
  const listen = (db: Db) => {
    if (options.onQuery) (db as unknown as { $on(e: "query", cb: (e: { query: string }) => void): void }).$on("query", (e) => options.onQuery!(e.query));
    return db;
  };
  const provider = providerOf(databaseUrl);
  if (provider === "sqlite") {
    const file = ensureSqliteDirectory(databaseUrl);
    // timeout = busy timeout: wait for a concurrent writer rather than fail at once.
    const factory = new PrismaBetterSqlite3({ url: file, timeout: 5000 });
    const adapter = {
      provider: "sqlite" as const,
      adapterName: factory.adapterName,
      connect: async () => {
        const connected = await factory.connect();
        reusePreparedStatements((connected as unknown as { client: BetterSqlite3Database }).client);
        return connected;
      },
      connectToShadowDb: () => factory.connectToShadowDb(),
    };
    const db = listen(new SqliteClient({ adapter, ...(log ? { log: [...log] } : {}) }));
    // WAL lets readers proceed while one writer commits; it persists in the file.
    await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
    await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
    return { db, provider };
  }
  // Loaded only for PostgreSQL: an embedded deployment never pays for pg and its client.
  const [{ PrismaClient: PgClient }, { PrismaPg }, { default: pg }] = await Promise.all([
    import("../../generated/postgresql/client.ts"),
    import("@prisma/adapter-pg"),
    import("pg"),
  ]);
  // The pool is made here, not inside the adapter, so its counts can be watched.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = listen(new PgClient({ adapter, ...(log ? { log: [...log] } : {}) }) as unknown as Db);
  return { db, provider, pool };
}
