// "Security" at /oauth/account: the signed-in person's authenticator app, recovery codes,
// passkeys and sessions. Only their own: every change names the person of this browser's
// session, never an id from the form alone (a session or passkey id of someone else finds
// nothing). An ENROL session (an organization requires a second factor the person lacks)
// reaches only the pages that add one; the first factor added makes it ACTIVE.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import QRCode from "qrcode";
import { PasskeyError, WEBAUTHN_COOKIE } from "../auth/passkeys.ts";
import { SESSION_COOKIE, type AnySession } from "../auth/sessions.ts";
import { markThrottled } from "../observability/throttle-reasons.ts";
import type { Services } from "../services.ts";
import { Throttled } from "../throttles/throttled.ts";
import { accountPage, confirmRemovalPage, enrolPage, recoveryCodesPage, totpSetupPage } from "../ui/security-pages.ts";
import { cookieOptions, csrfToken, csrfValid, formFields, sendMessage, sendPage, sessionToken } from "./browser.ts";
import { ACCOUNT_PATH, safeReturnTo } from "./return-to.ts";
import { tooManyAttempts } from "./sign-in-steps.ts";

const NOTICES: Record<string, string> = {
  totp_removed: "Your authenticator app was removed.",
  passkey_added: "Your passkey was added. You can sign in with it.",
  passkey_removed: "The passkey was removed.",
  session_ended: "That session is signed out, and the apps it signed in to can no longer refresh their access.",
};

export const securityRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config, sessions, secondFactors, passkeys } = services;

  /** This browser's session when signed in (ACTIVE) or adding a required factor (ENROL). */
  async function current(request: FastifyRequest, allowEnrol: boolean): Promise<AnySession | null> {
    const session = await sessions.getAny(sessionToken(request));
    if (!session) return null;
    if (session.stage === "ACTIVE" || (allowEnrol && session.stage === "ENROL")) return session;
    return null;
  }
  const toSignIn = (reply: FastifyReply) => reply.redirect(`/oauth/login?return_to=${encodeURIComponent(ACCOUNT_PATH)}`, 303);
  const expired = (reply: FastifyReply) => sendMessage(reply, 403, "This form has expired", "Go back to your account page and try again.");
  /** Where adding a factor leads: back into the sign-in that asked for it, or the account page. */
  const nextOf = (session: AnySession, returnTo: string | undefined) => (session.stage === "ENROL" ? safeReturnTo(returnTo) : ACCOUNT_PATH);

  async function renderAccount(request: FastifyRequest, reply: FastifyReply, session: AnySession, status = 200, extra: { notice?: string; error?: string } = {}) {
    const [status_, list] = await Promise.all([secondFactors.status(session.userId), sessions.list(session.userId)]);
    return sendPage(
      reply,
      status,
      accountPage({
        csrf: csrfToken(request, reply, config),
        email: session.email,
        ...status_,
        sessions: list.map((s) => ({ ...s, current: s.id === session.id })),
        ...extra,
      }),
    );
  }

  async function renderSetup(request: FastifyRequest, reply: FastifyReply, status: number, setup: { secret: string; uri: string }, returnTo: string, error?: string) {
    const qrSvg = await QRCode.toString(setup.uri, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
    return sendPage(reply, status, totpSetupPage({ csrf: csrfToken(request, reply, config), returnTo, qrSvg, secret: setup.secret, ...(error ? { error } : {}) }));
  }

  app.get("/account", async (request, reply) => {
    const session = await current(request, true);
    if (!session) return toSignIn(reply);
    if (session.stage === "ENROL") return reply.redirect(`/oauth/account/enrol?return_to=${encodeURIComponent(ACCOUNT_PATH)}`, 303);
    const done = (request.query as Record<string, unknown>).done;
    return renderAccount(request, reply, session, 200, typeof done === "string" && NOTICES[done] ? { notice: NOTICES[done] } : {});
  });

  app.get("/account/enrol", async (request, reply) => {
    const returnTo = safeReturnTo((request.query as Record<string, string | undefined>).return_to);
    const session = await current(request, true);
    if (!session) return reply.redirect(`/oauth/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    if (session.stage === "ACTIVE") return reply.redirect(returnTo, 303);
    return sendPage(reply, 200, enrolPage({ csrf: csrfToken(request, reply, config), returnTo, email: session.email }));
  });

  app.post("/account/totp", async (request, reply) => {
    const form = formFields(request.body);
    const session = await current(request, true);
    if (!session) return toSignIn(reply);
    if (!csrfValid(request, form.csrf)) return expired(reply);
    const returnTo = nextOf(session, form.return_to);
    const setup = await secondFactors.startTotp(session.userId, session.email);
    if (!setup) return reply.redirect(ACCOUNT_PATH, 303);
    return renderSetup(request, reply, 200, setup, returnTo);
  });

  app.post("/account/totp/verify", async (request, reply) => {
    const form = formFields(request.body);
    const session = await current(request, true);
    if (!session) return toSignIn(reply);
    if (!csrfValid(request, form.csrf)) return expired(reply);
    const returnTo = nextOf(session, form.return_to);
    const user = { id: session.userId, email: session.email };
    let codes: string[] | null;
    try {
      codes = await secondFactors.confirmTotp(user, (form.code ?? "").replace(/\s/g, ""), request.ip);
    } catch (err) {
      if (!(err instanceof Throttled)) throw err;
      markThrottled(request, err.reason("account"));
      reply.header("retry-after", String(err.retryAfterSeconds));
      const setup = await secondFactors.pendingTotp(session.userId, session.email);
      if (!setup) return reply.redirect(ACCOUNT_PATH, 303);
      return renderSetup(request, reply, 429, setup, returnTo, tooManyAttempts(err.retryAfterSeconds));
    }
    if (!codes) {
      const setup = await secondFactors.pendingTotp(session.userId, session.email);
      if (!setup) return reply.redirect(ACCOUNT_PATH, 303);
      return renderSetup(request, reply, 400, setup, returnTo, "That code did not work. Check that your phone's clock is right and enter the code the app shows now.");
    }
    if (session.stage === "ENROL") await sessions.activate(session.id, `${session.method ?? "password"}+otp`);
    return sendPage(reply, 200, recoveryCodesPage({ codes, continueUrl: returnTo, fresh: true }));
  });

  app.post("/account/totp/remove", async (request, reply) => {
    const form = formFields(request.body);
    const session = await current(request, false);
    if (!session) return toSignIn(reply);
    if (!csrfValid(request, form.csrf)) return expired(reply);
    const has = await secondFactors.has(session.userId);
    if (!has.passkey && (await secondFactors.required(session.userId))) {
      return renderAccount(request, reply, session, 400, { error: "Your organization requires a second factor: add a passkey before you remove your authenticator app." });
    }
    if (form.confirm !== "yes") {
      return sendPage(reply, 200, confirmRemovalPage({
        csrf: csrfToken(request, reply, config),
        action: "/oauth/account/totp/remove",
        title: "Remove authenticator app?",
        message: "Codes from the app and your recovery codes will stop working. You can add an app again later.",
      }));
    }
    await secondFactors.removeTotp(session.userId, session.email);
    return reply.redirect(`${ACCOUNT_PATH}?done=totp_removed`, 303);
  });

  app.post("/account/recovery-codes", async (request, reply) => {
    const form = formFields(request.body);
    const session = await current(request, false);
    if (!session) return toSignIn(reply);
    if (!csrfValid(request, form.csrf)) return expired(reply);
    const codes = await secondFactors.newRecoveryCodes(session.userId, session.email);
    if (!codes) return reply.redirect(ACCOUNT_PATH, 303);
    return sendPage(reply, 200, recoveryCodesPage({ codes, continueUrl: ACCOUNT_PATH, fresh: false }));
  });

  app.post("/account/passkeys/options", async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const session = await current(request, true);
    if (!session) return reply.status(401).send({ message: "You are signed out. Please sign in again." });
    if (!csrfValid(request, typeof body.csrf === "string" ? body.csrf : undefined)) return reply.status(403).send({ message: "This page has expired. Please reload it and try again." });
    const { options, challengeId } = await passkeys.registrationOptions({ id: session.userId, email: session.email, name: session.name });
    reply.setCookie(WEBAUTHN_COOKIE, challengeId, cookieOptions(config, 300));
    return reply.header("cache-control", "no-store").send({ options });
  });

  app.post("/account/passkeys", async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const session = await current(request, true);
    if (!session) return reply.status(401).send({ message: "You are signed out. Please sign in again." });
    if (!csrfValid(request, typeof body.csrf === "string" ? body.csrf : undefined)) return reply.status(403).send({ message: "This page has expired. Please reload it and try again." });
    const challengeId = request.cookies[WEBAUTHN_COOKIE];
    reply.clearCookie(WEBAUTHN_COOKIE, cookieOptions(config));
    try {
      await passkeys.register({ id: session.userId, email: session.email }, challengeId, body.response as never, typeof body.name === "string" ? body.name : undefined);
    } catch (err) {
      if (err instanceof PasskeyError) return reply.status(400).send({ message: err.message });
      throw err;
    }
    if (session.stage === "ENROL") {
      await sessions.activate(session.id, `${session.method ?? "password"}+passkey`);
      return reply.header("cache-control", "no-store").send({ redirect: safeReturnTo(typeof body.return_to === "string" ? body.return_to : undefined) });
    }
    return reply.header("cache-control", "no-store").send({ redirect: `${ACCOUNT_PATH}?done=passkey_added` });
  });

  app.post("/account/passkeys/remove", async (request, reply) => {
    const form = formFields(request.body);
    const session = await current(request, false);
    if (!session) return toSignIn(reply);
    if (!csrfValid(request, form.csrf)) return expired(reply);
    const has = await secondFactors.has(session.userId);
    const status = await secondFactors.status(session.userId);
    if (!has.totp && status.passkeys.length === 1 && (await secondFactors.required(session.userId))) {
      return renderAccount(request, reply, session, 400, { error: "Your organization requires a second factor: add another one before you remove your last passkey." });
    }
    const passkey = status.passkeys.find((p) => p.id === form.id);
    if (!passkey) return reply.redirect(ACCOUNT_PATH, 303);
    if (form.confirm !== "yes") {
      return sendPage(reply, 200, confirmRemovalPage({
        csrf: csrfToken(request, reply, config),
        action: "/oauth/account/passkeys/remove",
        id: passkey.id,
        title: `Remove ${passkey.name}?`,
        message: "You will no longer be able to sign in with this passkey. Remove it from your device or password manager too.",
      }));
    }
    await passkeys.remove({ id: session.userId, email: session.email }, form.id ?? "");
    return reply.redirect(`${ACCOUNT_PATH}?done=passkey_removed`, 303);
  });

  app.post("/account/sessions/end", async (request, reply) => {
    const form = formFields(request.body);
    const session = await current(request, false);
    if (!session) return toSignIn(reply);
    if (!csrfValid(request, form.csrf)) return expired(reply);
    const ended = await sessions.end(session.userId, form.id ?? "");
    if (ended && form.id === session.id) {
      reply.clearCookie(SESSION_COOKIE, cookieOptions(config));
      return toSignIn(reply);
    }
    return reply.redirect(ended ? `${ACCOUNT_PATH}?done=session_ended` : ACCOUNT_PATH, 303);
  });
};
