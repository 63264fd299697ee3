// Logger options shared by the server and the CLI: secrets never reach a log line.
import type { FastifyServerOptions } from "fastify";
import type { Config } from "./config/index.ts";

export function loggerOptions(config: Config): FastifyServerOptions["logger"] {
  if (config.logLevel === "silent") return false;
  return {
    level: config.logLevel,
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "client_secret", "password", "*.client_secret", "*.password"],
      censor: "[redacted]",
    },
  };
}
