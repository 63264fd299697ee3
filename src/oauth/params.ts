// Request parsing shared by the OAuth endpoints: every value that can reach a query passes
// these checks first, so malformed input is a 4xx here rather than a database error later
// (PostgreSQL refuses NUL in text, SQLite does not: the same request must fail alike on both).
import type { FastifyRequest } from "fastify";
import { InvalidRequest } from "./errors.ts";

/** Longer than any token, code, client id, secret or URI this server issues or accepts. */
export const MAX_PARAMETER_LENGTH = 8192;
/** C0 controls (NUL included) and DEL: never part of an id, secret, code, token, URI or email. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTER.test(value);
}

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

/** The reason a parameter value is refused, or null when it may go on. */
export function malformedValue(value: string): string | null {
  if (value.length > MAX_PARAMETER_LENGTH) return `is longer than ${MAX_PARAMETER_LENGTH} characters`;
  if (hasControlCharacter(value)) return "contains control characters";
  return null;
}

/** Refuses any parameter whose value no legitimate request carries. */
export function rejectMalformedValues(params: Readonly<Record<string, string | undefined>>): void {
  for (const key in params) {
    const value = params[key];
    if (value === undefined) continue;
    const reason = malformedValue(value);
    if (reason) throw new InvalidRequest(`parameter ${key} ${reason}`);
  }
}

/** The form body of an OAuth POST endpoint: form-encoded, single-valued, well-formed. */
export function formParams(request: FastifyRequest): Record<string, string> {
  requireForm(request);
  const body = singleValuedParams(request.body);
  rejectMalformedValues(body);
  return body;
}

/**
 * Fastify hook for the endpoints that read query strings and forms by hand (authorize, login,
 * logout, userinfo): every value, repeated ones included, passes malformedValue first.
 */
export async function rejectMalformedInput(request: FastifyRequest): Promise<void> {
  for (const source of [request.query, request.body]) {
    if (!source || typeof source !== "object") continue;
    for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        const reason = typeof item === "string" ? malformedValue(item) : null;
        if (reason) throw new InvalidRequest(`parameter ${key} ${reason}`);
      }
    }
  }
}
