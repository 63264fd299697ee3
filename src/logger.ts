// Logger options shared by the server and the CLI: secrets never reach a log line.
import type { FastifyServerOptions } from "fastify";
import type { Config } from "./config/index.ts";

/** Query parameters whose values may be logged; every other value is replaced. */
const LOGGABLE_PARAMETERS = new Set(["client_id", "response_type", "scope", "redirect_uri", "prompt", "code_challenge_method", "response_mode", "grant_type"]);

/** The request URL with the value of every query parameter that could carry a secret hidden (id_token_hint, code, state...). */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const shown = [...params].map(([k, v]) => `${encodeURIComponent(k)}=${LOGGABLE_PARAMETERS.has(k) ? encodeURIComponent(v) : "[redacted]"}`);
  return `${url.slice(0, q)}?${shown.join("&")}`;
}

export function loggerOptions(config: Config, stream?: NodeJS.WritableStream): FastifyServerOptions["logger"] {
  if (config.logLevel === "silent") return false;
  return {
    level: config.logLevel,
    ...(stream ? { stream } : {}),
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "client_secret", "password", "*.client_secret", "*.password"],
      censor: "[redacted]",
    },
    serializers: {
      req(request: { method: string; url: string; ip?: string; hostname?: string }) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip, hostname: request.hostname };
      },
    },
  };
}
