// Each test file gets its own database: a fresh SQLite file, or a fresh PostgreSQL database
// on the server DATABASE_URL names when it points at PostgreSQL.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { migrateDatabase } from "../../src/db/migrate.ts";

export interface TestDatabase {
  url: string;
  provider: "sqlite" | "postgresql";
  drop(): Promise<void>;
}

export const POSTGRES_URL = process.env.DATABASE_URL?.startsWith("postgres") ? process.env.DATABASE_URL : undefined;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTestDatabase(options: { migrate?: boolean; provider?: "sqlite" | "postgresql" } = {}): Promise<TestDatabase> {
  const provider = options.provider ?? (POSTGRES_URL ? "postgresql" : "sqlite");
  const suffix = `${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  let db: TestDatabase;
  if (provider === "sqlite") {
    const file = path.join(os.tmpdir(), `scopekeeper-test-${suffix}`, "test.db");
    db = {
      url: `file:${file}`,
      provider,
      async drop() {
        rmSync(path.dirname(file), { recursive: true, force: true });
      },
    };
  } else {
    const admin = POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
    const name = `sk_test_${suffix}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`);
    await client.end();
    db = {
      url: withDatabase(admin, name),
      provider,
      async drop() {
        const c = new pg.Client({ connectionString: admin });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await c.end();
      },
    };
  }
  if (options.migrate !== false) await migrateDatabase(db.url);
  return db;
}
