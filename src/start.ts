// Start-up: migrate (when allowed), build services and server, listen, shut down cleanly.
import type { FastifyInstance } from "fastify";
import type { Config } from "./config/index.ts";
import { providerOf } from "./db/url.ts";
import { startupLines } from "./startup-lines.ts";
import { buildServer } from "./server.ts";
import { createServices, type Services } from "./services.ts";

export interface StartOptions {
  /** Embedded SQLite is always brought up to date; PostgreSQL only when asked (--migrate). */
  migrate: "always" | "embedded-only" | "never";
}

export async function createApp(config: Config, options: StartOptions): Promise<FastifyInstance> {
  return (await createAppWithServices(config, options)).app;
}

async function createAppWithServices(config: Config, options: StartOptions): Promise<{ app: FastifyInstance; services: Services }> {
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
  return { app, services };
}

export async function startServer(config: Config, options: StartOptions): Promise<FastifyInstance> {
  const { app, services } = await createAppWithServices(config, options);
  await app.listen({ port: config.port, host: config.host });
  for (const line of await startupLines(config, services.db)) app.log.info(line);
  // Drain: the listener closes at once (new connections are refused), idle keep-alive
  // connections are closed, requests in flight finish; past SHUTDOWN_TIMEOUT_MS the process
  // exits anyway, so a stuck client cannot hold a deployment's rollout.
  const stop = async (signal: string) => {
    app.log.info(`${signal}: shutting down, waiting up to ${config.shutdownTimeoutMs} ms for requests in flight`);
    setTimeout(() => {
      app.log.warn(`requests still in flight after ${config.shutdownTimeoutMs} ms: exiting anyway`);
      // The secrets' lastUsedAt gathered since the last batch is written even then (for 1 s at most).
      const written = services.lastUsed.flush().catch(() => undefined);
      void Promise.race([written, new Promise((r) => setTimeout(r, 1000))]).finally(() => process.exit(1));
    }, config.shutdownTimeoutMs).unref();
    // Node closes the connections idle at close() once; those whose request finishes later
    // would stay open as keep-alive connections until HTTP_KEEP_ALIVE_TIMEOUT_MS.
    setInterval(() => app.server.closeIdleConnections(), 100).unref();
    await app.close();
    app.log.info("shut down");
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
  return app;
}
