// Request parsing shared by the OAuth endpoints.
import type { FastifyRequest } from "fastify";
import { InvalidRequest } from "./errors.ts";

export function requireForm(request: FastifyRequest): void {
  const type = request.headers["content-type"] ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    throw new InvalidRequest("the request body must be application/x-www-form-urlencoded");
  }
}

/** RFC 6749 §3.2: parameters must not be included more than once; empty means absent. */
export function singleValuedParams(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== "object") return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (Array.isArray(value)) throw new InvalidRequest(`parameter ${key} is included more than once`);
    if (typeof value === "string" && value !== "") out[key] = value;
  }
  return out;
}
