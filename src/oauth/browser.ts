// What the browser-facing endpoints share: cookie settings, CSRF tokens, page rendering.
import { randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config/index.ts";
import { constantTimeEqual } from "../crypto/random.ts";
import { CSRF_COOKIE, SESSION_COOKIE } from "../auth/sessions.ts";
import { hasScripts, PAGE_SECURITY_HEADERS, SCRIPTED_PAGE_SECURITY_HEADERS } from "../ui/html.ts";
import { messagePage } from "../ui/pages.ts";

export function cookieOptions(config: Config, maxAgeSeconds?: number) {
  return {
    path: "/oauth",
    httpOnly: true,
    // Secure everywhere but development, where http://127.0.0.1 is the norm.
    secure: config.env !== "development",
    sameSite: "lax" as const,
    ...(maxAgeSeconds ? { maxAge: maxAgeSeconds } : {}),
  };
}

/** Double-submit CSRF token: an HttpOnly SameSite cookie that every form must echo. */
export function csrfToken(request: FastifyRequest, reply: FastifyReply, config: Config): string {
  const existing = request.cookies[CSRF_COOKIE];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString("base64url");
  reply.setCookie(CSRF_COOKIE, token, cookieOptions(config));
  return token;
}

export function csrfValid(request: FastifyRequest, submitted: string | undefined): boolean {
  const cookie = request.cookies[CSRF_COOKIE];
  return Boolean(cookie && submitted && constantTimeEqual(cookie, submitted));
}

export function sessionToken(request: FastifyRequest): string | undefined {
  return request.cookies[SESSION_COOKIE];
}

export function sendPage(reply: FastifyReply, status: number, htmlText: string) {
  // Only pages that load this origin's passkey scripts may run scripts at all.
  return reply.status(status).headers(hasScripts(htmlText) ? SCRIPTED_PAGE_SECURITY_HEADERS : PAGE_SECURITY_HEADERS).send(htmlText);
}

export function sendMessage(reply: FastifyReply, status: number, title: string, message: string) {
  return sendPage(reply, status, messagePage(title, message));
}

/** Form bodies as single strings; repeated fields count as absent. */
export function formFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === "object") {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) if (typeof v === "string") out[k] = v;
  }
  return out;
}
