// Start-up: migrate (when allowed), build services and server, listen, shut down cleanly.
import type { FastifyInstance } from "fastify";
import type { Config } from "./config/index.ts";
import { providerOf } from "./db/url.ts";
import { buildServer } from "./server.ts";
import { createServices } from "./services.ts";

export interface StartOptions {
  /** Embedded SQLite is always brought up to date; PostgreSQL only when asked (--migrate). */
  migrate: "always" | "embedded-only" | "never";
}

export async function createApp(config: Config, options: StartOptions): Promise<FastifyInstance> {
  const provider = providerOf(config.databaseUrl);
  if (options.migrate === "always" || (options.migrate === "embedded-only" && provider === "sqlite")) {
    const { sqliteIsUpToDate } = await import("./db/applied-migrations.ts");
    if (provider !== "sqlite" || !sqliteIsUpToDate(config.databaseUrl)) {
      const { migrateDatabase } = await import("./db/migrate.ts");
      await migrateDatabase(config.databaseUrl);
    }
  }
  const services = await createServices(config);
  const app = await buildServer(services);
  if (!config.keyEncryptionSecret && config.env !== "development") {
    app.log.warn(
      "SCOPEKEEPER_KEY_ENCRYPTION_SECRET is not set: signing keys are stored UNENCRYPTED in the database. Set it (32+ characters) before serving real traffic.",
    );
  }
  return app;
}

export async function startServer(config: Config, options: StartOptions): Promise<FastifyInstance> {
  const app = await createApp(config, options);
  await app.listen({ port: config.port, host: config.host });
  app.log.info(`scopekeeper serving ${config.issuer} (database: ${providerOf(config.databaseUrl)})`);
  const stop = async (signal: string) => {
    app.log.info(`${signal}: shutting down`);
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
  return app;
}
