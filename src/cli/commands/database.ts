// Commands that work on the database: check it, bring an embedded one up to date (as serve
// does), run, and always disconnect.
import type { Config } from "../../config/index.ts";
import { providerOf } from "../../db/url.ts";
import type { Db } from "../../db/client.ts";
import type { ChangeFeed } from "../../changes/feed.ts";
import type { Services } from "../../services.ts";
import { checkDatabase } from "../preflight.ts";

async function ready(config: Config): Promise<void> {
  const embedded = providerOf(config.databaseUrl) === "sqlite";
  await checkDatabase(config.databaseUrl, { willMigrate: embedded });
  if (embedded) {
    const { migrateDatabase } = await import("../../db/migrate.ts");
    await migrateDatabase(config.databaseUrl);
  }
}

export async function openServices<T>(config: Config, work: (services: Services) => Promise<T>): Promise<T> {
  await ready(config);
  const { createServices } = await import("../../services.ts");
  const services = await createServices(config);
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

/** The database, and the change feed to tell running servers what the command changed. */
export async function openDb<T>(config: Config, work: (db: Db, changes: ChangeFeed) => Promise<T>): Promise<T> {
  await ready(config);
  const { createDb } = await import("../../db/client.ts");
  const { openChangeFeed } = await import("../../changes/feed.ts");
  const { db, provider } = await createDb(config.databaseUrl);
  try {
    const changes = await openChangeFeed({ provider, enabled: config.changeFeed, listen: false, db, databaseUrl: config.databaseUrl });
    return await work(db, changes);
  } finally {
    await db.$disconnect();
  }
}
