// What a DATABASE_URL means: which provider, and for SQLite which file.
import { mkdirSync } from "node:fs";
import path from "node:path";

export type Provider = "sqlite" | "postgresql";

export function providerOf(databaseUrl: string): Provider {
  if (databaseUrl.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return "postgresql";
  throw new Error(`DATABASE_URL must start with file: or postgresql:// (got ${JSON.stringify(databaseUrl)})`);
}

/** Absolute path of an SQLite file: URL (relative paths are relative to the working directory). */
export function sqliteFilePath(databaseUrl: string): string {
  const raw = databaseUrl.slice("file:".length).split("?")[0]!;
  if (raw === ":memory:") return raw;
  return path.resolve(raw.startsWith("//") ? raw.slice(2) : raw);
}

/** Creates the folder an SQLite file lives in, so a first start needs nothing prepared. */
export function ensureSqliteDirectory(databaseUrl: string): string {
  const file = sqliteFilePath(databaseUrl);
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/** Where the data lives, for people and logs: the SQLite file, or PostgreSQL's host/database without the password. */
export function describeDatabase(databaseUrl: string): string {
  if (providerOf(databaseUrl) === "sqlite") return `SQLite database ${sqliteFilePath(databaseUrl)}`;
  try {
    const url = new URL(databaseUrl);
    const user = url.username ? `${decodeURIComponent(url.username)}@` : "";
    return `PostgreSQL database ${user}${url.host}${url.pathname}`;
  } catch {
    return "the PostgreSQL database in DATABASE_URL";
  }
}
