// A real Scopekeeper server on 127.0.0.1 over a real database, one per test file.
import net from "node:net";
import type { FastifyInstance } from "fastify";
import { loadConfig, type Config } from "../../src/config/index.ts";
import { buildServer } from "../../src/server.ts";
import { createServices, type Services } from "../../src/services.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

/** Low argon2 cost keeps tests fast; benchmarks never lower it. */
export const TEST_ARGON2_ENV = { ARGON2_MEMORY_KIB: "1024", ARGON2_TIME_COST: "1", ARGON2_PARALLELISM: "1" };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  url: string;
  app: FastifyInstance;
  services: Services;
  config: Config;
  database: TestDatabase;
  close(): Promise<void>;
}

export async function startTestServer(
  options: {
    env?: Record<string, string>;
    database?: TestDatabase;
    onQuery?: (sql: string) => void;
    logStream?: NodeJS.WritableStream;
    /** The issuer's host name instead of 127.0.0.1 (WebAuthn needs a domain: "localhost"); the server still listens on 127.0.0.1. */
    issuerHost?: string;
  } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: database.url,
    ...TEST_ARGON2_ENV,
    ...(options.issuerHost ? { ISSUER: `http://${options.issuerHost}:${port}` } : {}),
    ...options.env,
  });
  const services = await createServices(config, options.onQuery ? { onQuery: options.onQuery } : {});
  const app = await buildServer(services, options.logStream ? { logStream: options.logStream } : {});
  await app.listen({ port, host: "127.0.0.1" });
  return {
    url: config.issuer,
    app,
    services,
    config,
    database,
    async close() {
      // A test is over: no request needs draining. A connection whose response body a test (or
      // a browser) never read would otherwise hold close() until its timeouts, past the hook's.
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
      if (!options.database) await database.drop();
    },
  };
}
