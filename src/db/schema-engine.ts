// Drives Prisma's wasm schema engine with driver adapters: Prisma 7's `migrate` CLI needs a
// native engine binary that cannot be downloaded here.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type { MigrationList, SchemaEngine, SchemaFilter } from "@prisma/schema-engine-wasm";
import pg from "pg";
import { providerOf, sqliteFilePath, type Provider } from "./url.ts";

export type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm";

export const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

export const DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test";

/** The PostgreSQL server used for scratch databases: DATABASE_URL when it is one, else the local default. */
export function postgresServerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL;
  return url && /^postgres(ql)?:\/\//.test(url) ? url : DEFAULT_POSTGRES_URL;
}

export interface SchemaFile {
  path: string;
  content: string;
}

// --- Loading the wasm module -------------------------------------------------------------------

// Node 20 cannot import .wasm files, so the glue's own entry point is unusable.
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: Record<string, object>): Promise<{ exports: Record<string, unknown> }>;
}
type Glue = typeof import("@prisma/schema-engine-wasm/schema_engine_bg");

let gluePromise: Promise<Glue> | undefined;

function loadGlue(): Promise<Glue> {
  gluePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const glue: Glue = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = await wasmApi.compile(readFileSync(path.join(path.dirname(gluePath), "schema_engine_bg.wasm")));
    // The engine arms 10 s timeouts around PostgreSQL I/O and never clears them, which kept
    // processes alive after their work was done; the I/O itself keeps the loop alive meanwhile.
    const imports: Record<string, unknown> = { ...glue };
    for (const [key, fn] of Object.entries(glue)) {
      if (key.startsWith("__wbg_setTimeout_") && typeof fn === "function") {
        imports[key] = (...args: unknown[]) => {
          const timer = (fn as (...a: unknown[]) => unknown)(...args);
          (timer as { unref?: () => void } | null)?.unref?.();
          return timer;
        };
      }
    }
    const instance = await wasmApi.instantiate(module, { "./schema_engine_bg.js": imports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return gluePromise;
}

// --- Adapters -------------------------------------------------------------------------------------

// better-sqlite3 prepares one statement at a time, but the engine replays whole migration files
// through executeRaw on the shadow database.
function isMultiStatementError(error: unknown): boolean {
  return error instanceof Error && /more than one statement/i.test(error.message);
}

function wrapAdapter(inner: SqlDriverAdapter, afterDispose: () => Promise<void> | void): SqlDriverAdapter {
  let disposed: Promise<void> | undefined;
  const adapter: SqlDriverAdapter = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: (query) => inner.queryRaw(query),
    executeRaw: async (query) => {
      try {
        return await inner.executeRaw(query);
      } catch (error) {
        if (query.args.length > 0 || !isMultiStatementError(error)) throw error;
        await inner.executeScript(query.sql);
        return 0;
      }
    },
    // adapter-pg's executeScript splits on every ";" (string literals included); without
    // parameters pg uses the simple protocol, which runs a whole script as the native engine does.
    executeScript: (script) =>
      inner.provider === "postgres"
        ? inner.executeRaw({ sql: script, args: [], argTypes: [] }).then(() => undefined)
        : inner.executeScript(script),
    startTransaction: (isolationLevel) => inner.startTransaction(isolationLevel),
    dispose: () => {
      disposed ??= (async () => {
        try {
          await inner.dispose();
        } finally {
          await afterDispose();
        }
      })();
      return disposed;
    },
  };
  const info = inner.getConnectionInfo?.bind(inner);
  if (info) adapter.getConnectionInfo = info;
  return adapter;
}

// adapter-pg cannot map PostgreSQL's internal "char" type (OID 18), which the engine reads when it
// describes constraints; it is a one-byte string, so report it as text (OID 25).
function charAsText<T>(result: T): T {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const field of (r as { fields?: { dataTypeID: number }[] } | undefined)?.fields ?? []) {
      if (field.dataTypeID === 18) field.dataTypeID = 25;
    }
  }
  return result;
}

class CharAsTextClient extends pg.Client {
  override query(...args: any[]): any {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      // pg.Pool#query calls its client with a callback.
      args[args.length - 1] = (err: unknown, res: unknown) => last(err, err ? res : charAsText(res));
    }
    const ret = (super.query as (...a: unknown[]) => unknown).apply(this, args);
    return ret instanceof Promise ? ret.then(charAsText) : ret;
  }
}

// Same connection handling as src/db/client.ts (no `?schema=` support), so migrations land where
// the app looks for its tables.
function pgFactory(connectionString: string): PrismaPg {
  return new PrismaPg({ connectionString, Client: CharAsTextClient });
}

async function withPgClient<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(5).toString("hex")}`;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty, uniquely named database on the server of `serverUrl` (the role needs CREATEDB). */
export async function createPostgresDatabase(serverUrl: string, prefix = "scopekeeper_tmp"): Promise<ScratchDatabase> {
  const name = uniqueName(prefix);
  await withPgClient(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withPgClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** A fresh SQLite file path under the OS temp folder; `remove` deletes it and its journals. */
export function createSqliteTempFile(prefix = "scopekeeper-tmp"): { file: string; remove(): void } {
  const file = path.join(os.tmpdir(), `${uniqueName(prefix)}.db`);
  return {
    file,
    remove: () => {
      for (const suffix of ["", "-journal", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
    },
  };
}

// --- Engine sessions --------------------------------------------------------------------------

export interface EngineOptions {
  /** The main database (migrations are applied to it). */
  databaseUrl: string;
  /** Schema files handed to the engine at construction. */
  schema?: SchemaFile;
  /** Raw engine log lines (JSON). */
  log?: (line: string) => void;
}

export interface EngineSession {
  engine: SchemaEngine;
  provider: Provider;
  /** Frees the engine, disposes every adapter and drops shadow databases. Idempotent. */
  close(): Promise<void>;
}

export async function openEngine(options: EngineOptions): Promise<EngineSession> {
  const provider = providerOf(options.databaseUrl);
  const adapters = new Set<SqlDriverAdapter>();
  const track = (inner: SqlDriverAdapter, afterDispose: () => Promise<void> | void = () => {}) => {
    const adapter = wrapAdapter(inner, async () => {
      adapters.delete(adapter);
      await afterDispose();
    });
    adapters.add(adapter);
    return adapter;
  };

  let factory: SqlMigrationAwareDriverAdapterFactory;
  if (provider === "sqlite") {
    const main = new PrismaBetterSqlite3({ url: sqliteFilePath(options.databaseUrl), timeout: 5000 });
    factory = {
      provider: "sqlite",
      adapterName: main.adapterName,
      connect: async () => track(await main.connect()),
      // The adapter's default shadow is ":memory:"; a temp file behaves like the real database.
      connectToShadowDb: async () => {
        const shadow = createSqliteTempFile("scopekeeper-shadow");
        return track(await new PrismaBetterSqlite3({ url: shadow.file }).connect(), shadow.remove);
      },
    };
  } else {
    const main = pgFactory(options.databaseUrl);
    factory = {
      provider: "postgres",
      adapterName: main.adapterName,
      connect: async () => track(await main.connect()),
      // PrismaPg's own shadow handling targets the main database or drops the shadow with its
      // pool still open: create our own uniquely named one and drop it after its pool ends.
      connectToShadowDb: async () => {
        const db = await createPostgresDatabase(options.databaseUrl, "scopekeeper_shadow");
        try {
          return track(await pgFactory(db.url).connect(), db.drop);
        } catch (error) {
          await db.drop();
          throw error;
        }
      },
    };
  }

  const glue = await loadGlue();
  const log = options.log ?? (() => {});
  const datamodels: [string, string][] | undefined = options.schema
    ? [[options.schema.path, options.schema.content]]
    : undefined;
  let engine: SchemaEngine;
  try {
    engine = await glue.SchemaEngine.new({ datamodels }, log, bindMigrationAwareSqlAdapterFactory(factory));
  } catch (error) {
    await Promise.allSettled([...adapters].map((a) => a.dispose()));
    throw error;
  }

  let closed: Promise<void> | undefined;
  return {
    engine,
    provider,
    close: () => {
      closed ??= (async () => {
        engine.free();
        const results = await Promise.allSettled([...adapters].map((a) => a.dispose()));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
      })();
      return closed;
    },
  };
}

export async function withEngine<T>(options: EngineOptions, fn: (session: EngineSession) => Promise<T>): Promise<T> {
  const session = await openEngine(options);
  let result: T;
  try {
    result = await fn(session);
  } catch (error) {
    await session.close().catch(() => {}); // keep the command's own error
    throw error;
  }
  await session.close();
  return result;
}

// --- Migration folders ---------------------------------------------------------------------------

export const LOCKFILE_NAME = "migration_lock.toml";
export const MIGRATION_FILE_NAME = "migration.sql";

export function lockfileContent(provider: Provider): string {
  return (
    "# Please do not edit this file manually\n" +
    "# It should be added in your version-control system (e.g., Git)\n" +
    `provider = "${provider}"\n`
  );
}

/** Reads a migrations folder the way Prisma's CLI does (sorted folder names, one migration.sql each). */
export function readMigrationsList(baseDir: string): MigrationList {
  const lockPath = path.join(baseDir, LOCKFILE_NAME);
  const folders = existsSync(baseDir)
    ? readdirSync(baseDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort((a, b) => a.localeCompare(b))
    : [];
  return {
    baseDir,
    shadowDbInitScript: "",
    lockfile: { path: LOCKFILE_NAME, content: existsSync(lockPath) ? readFileSync(lockPath, "utf8") : null },
    migrationDirectories: folders.map((folder) => {
      const file = path.join(baseDir, folder, MIGRATION_FILE_NAME);
      let content: { tag: "ok"; value: string } | { tag: "error"; value: string };
      try {
        content = { tag: "ok", value: readFileSync(file, "utf8") };
      } catch (error) {
        content = { tag: "error", value: (error as Error).message };
      }
      return { path: folder, migrationFile: { path: MIGRATION_FILE_NAME, content } };
    }),
  };
}
