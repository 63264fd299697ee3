// What follows the first step of a sign-in (a password, an identity provider, a passkey), for
// every way in alike:
// - a person with an authenticator app or a passkey gets a SECOND_FACTOR session and the page
//   that asks for "Code" ("Verify") or a passkey; only then is the session ACTIVE;
// - a person whose organization requires a second factor (account.second_factor, asked of
//   src/access/policy.ts through SecondFactors.required) and who has none gets an ENROL
//   session that reaches only the pages adding one;
// - a passkey is two factors in one (held + user verification): it signs in ACTIVE.
// Also here: the passkey sign-in endpoints, and the scripts the passkey buttons need, served
// from this origin (SimpleWebAuthn's browser bundle from node_modules, and ours).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { PasskeyError, WEBAUTHN_COOKIE } from "../auth/passkeys.ts";
import { SESSION_COOKIE, type SessionStage } from "../auth/sessions.ts";
import { markThrottled } from "../observability/throttle-reasons.ts";
import type { Services } from "../services.ts";
import { Throttled } from "../throttles/throttled.ts";
import { PASSKEYS_SCRIPT } from "../ui/passkeys-script.ts";
import { secondFactorPage } from "../ui/security-pages.ts";
import { cookieOptions, csrfToken, csrfValid, formFields, sendPage, sessionToken } from "./browser.ts";
import { safeReturnTo } from "./return-to.ts";

export const SECOND_FACTOR_PATH = "/oauth/login/second-factor";
export const ENROL_PATH = "/oauth/account/enrol";

/** The sign-in page's words when the throttle refuses (shared with the password's). */
export function tooManyAttempts(retryAfterSeconds: number): string {
  const wait = retryAfterSeconds < 90 ? `${retryAfterSeconds} seconds` : `${Math.ceil(retryAfterSeconds / 60)} minutes`;
  return `Too many failed sign-in attempts. Please try again in ${wait}.`;
}

/**
 * The first step passed for `userId`: a fresh session at the stage the person's factors and
 * organizations call for, and where the browser goes next.
 */
export async function beginSession(services: Services, request: FastifyRequest, reply: FastifyReply, userId: string, returnTo: string, method: "password" | "sso" | "passkey"): Promise<string> {
  let stage: SessionStage = "ACTIVE";
  if (method !== "passkey") {
    const has = await services.secondFactors.has(userId);
    if (has.totp || has.passkey) stage = "SECOND_FACTOR";
    else if (await services.secondFactors.required(userId)) stage = "ENROL";
  }
  const origin = { userAgent: request.headers["user-agent"], address: request.ip, method };
  const token = await services.sessions.replace(sessionToken(request), userId, origin, stage);
  reply.setCookie(SESSION_COOKIE, token, cookieOptions(services.config, services.sessions.ttlSeconds));
  if (stage === "SECOND_FACTOR") return `${SECOND_FACTOR_PATH}?return_to=${encodeURIComponent(returnTo)}`;
  if (stage === "ENROL") return `${ENROL_PATH}?return_to=${encodeURIComponent(returnTo)}`;
  return returnTo;
}

/** SimpleWebAuthn's browser bundle (UMD, global SimpleWebAuthnBrowser), read once from the installed package. */
let browserBundle: string | null = null;
function simpleWebAuthnBundle(): string {
  if (browserBundle === null) {
    const require = createRequire(import.meta.url);
    // The package's exports map names only its modules; the bundle sits beside them.
    const main = require.resolve("@simplewebauthn/browser");
    const root = main.slice(0, main.lastIndexOf(`${path.sep}script${path.sep}`));
    browserBundle = readFileSync(path.join(root, "dist", "bundle", "index.umd.min.js"), "utf8");
  }
  return browserBundle;
}

const jsonError = (reply: FastifyReply, status: number, message: string) => reply.status(status).header("cache-control", "no-store").send({ message });

export const signInStepRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config } = services;

  app.get("/assets/simplewebauthn-browser.js", async (_request, reply) =>
    reply.header("content-type", "text/javascript; charset=utf-8").header("x-content-type-options", "nosniff").send(simpleWebAuthnBundle()),
  );
  app.get("/assets/passkeys.js", async (_request, reply) =>
    reply.header("content-type", "text/javascript; charset=utf-8").header("x-content-type-options", "nosniff").send(PASSKEYS_SCRIPT),
  );

  async function pending(request: FastifyRequest) {
    const session = await services.sessions.getAny(sessionToken(request));
    return session && session.stage === "SECOND_FACTOR" ? session : null;
  }

  const render = async (request: FastifyRequest, reply: FastifyReply, status: number, session: { userId: string; email: string }, returnTo: string, error?: string) => {
    const has = await services.secondFactors.has(session.userId);
    return sendPage(reply, status, secondFactorPage({ csrf: csrfToken(request, reply, config), returnTo, email: session.email, totp: has.totp, passkey: has.passkey, ...(error ? { error } : {}) }));
  };

  app.get("/login/second-factor", async (request, reply) => {
    const returnTo = safeReturnTo((request.query as Record<string, string | undefined>).return_to);
    const session = await pending(request);
    if (!session) return reply.redirect(`/oauth/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    return render(request, reply, 200, session, returnTo);
  });

  app.post("/login/second-factor", async (request, reply) => {
    const form = formFields(request.body);
    const returnTo = safeReturnTo(form.return_to);
    const session = await pending(request);
    if (!session) return reply.redirect(`/oauth/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    if (!csrfValid(request, form.csrf)) return render(request, reply, 403, session, returnTo, "This form has expired. Please try again.");
    let result;
    try {
      result = await services.secondFactors.verifySignIn({ id: session.userId, email: session.email }, form.code ?? "", request.ip);
    } catch (err) {
      if (!(err instanceof Throttled)) throw err;
      markThrottled(request, err.reason("account"));
      reply.header("retry-after", String(err.retryAfterSeconds));
      return render(request, reply, 429, session, returnTo, tooManyAttempts(err.retryAfterSeconds));
    }
    if (!result) return render(request, reply, 401, session, returnTo, "That code did not work. Enter the current code from your app, or an unused recovery code.");
    await services.sessions.activate(session.id, `${session.method ?? "password"}+${result === "totp" ? "otp" : "recovery_code"}`);
    return reply.redirect(returnTo, 303);
  });

  app.post("/login/passkey/options", async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (!csrfValid(request, typeof body.csrf === "string" ? body.csrf : undefined)) return jsonError(reply, 403, "This page has expired. Please reload it and try again.");
    let userId: string | null = null;
    if (body.mode === "second-factor") {
      const session = await pending(request);
      if (!session) return jsonError(reply, 401, "This sign-in has expired. Please sign in again.");
      userId = session.userId;
    }
    const { options, challengeId } = await services.passkeys.authenticationOptions(userId);
    reply.setCookie(WEBAUTHN_COOKIE, challengeId, cookieOptions(config, 300));
    return reply.header("cache-control", "no-store").send({ options });
  });

  app.post("/login/passkey", async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const returnTo = safeReturnTo(typeof body.return_to === "string" ? body.return_to : undefined);
    if (!csrfValid(request, typeof body.csrf === "string" ? body.csrf : undefined)) return jsonError(reply, 403, "This page has expired. Please reload it and try again.");
    const challengeId = request.cookies[WEBAUTHN_COOKIE];
    reply.clearCookie(WEBAUTHN_COOKIE, cookieOptions(config));
    const secondFactor = body.mode === "second-factor" ? await pending(request) : null;
    if (body.mode === "second-factor" && !secondFactor) return jsonError(reply, 401, "This sign-in has expired. Please sign in again.");
    let userId: string;
    try {
      ({ userId } = await services.passkeys.authenticate(challengeId, body.response as never, secondFactor?.userId ?? null));
    } catch (err) {
      if (err instanceof PasskeyError) return jsonError(reply, 400, err.message);
      throw err;
    }
    if (secondFactor) {
      await services.sessions.activate(secondFactor.id, `${secondFactor.method ?? "password"}+passkey`);
      return reply.header("cache-control", "no-store").send({ redirect: returnTo });
    }
    return reply.header("cache-control", "no-store").send({ redirect: await beginSession(services, request, reply, userId, returnTo, "passkey") });
  });
};
