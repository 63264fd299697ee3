// The sign-in page. It only ever sends people back into an authorization request, never to an
// arbitrary URL, and says the same thing for an unknown email and a wrong password.
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { LOGIN_FAILED } from "../auth/users.ts";
import { SESSION_COOKIE } from "../auth/sessions.ts";
import { markThrottled } from "../observability/throttle-reasons.ts";
import type { Services } from "../services.ts";
import { Throttled } from "../throttles/throttled.ts";
import { loginPage } from "../ui/pages.ts";
import { applicationOfDeviceReturn, DEVICE_CONFIRM_PATH } from "./device/verification.ts";
import { SsoError } from "../auth/sso.ts";
import { publicId } from "../ids.ts";
import { safeReturnTo } from "./return-to.ts";
import { sendSsoError } from "./sso.ts";
import { beginSession, tooManyAttempts } from "./sign-in-steps.ts";

export { safeReturnTo };
import { cookieOptions, csrfToken, csrfValid, formFields, sendPage, sessionToken } from "./browser.ts";

export { tooManyAttempts };


export const loginRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config, db } = services;

  async function appOf(returnTo: string): Promise<{ name: string; organizationId: string | null } | null> {
    if (returnTo.startsWith(`${DEVICE_CONFIRM_PATH}?`)) return applicationOfDeviceReturn(db, returnTo);
    const clientId = new URLSearchParams(returnTo.split("?")[1] ?? "").get("client_id");
    if (!clientId) return null;
    return db.connectApplication.findUnique({ where: { clientId }, select: { name: true, organizationId: true } });
  }
  const appName = async (returnTo: string) => (await appOf(returnTo))?.name ?? null;
  /** With "Forgot password?" when mail is on, and "Continue with ..." for the app's organization's sign-in providers. */
  const signInPage = async (opts: Parameters<typeof loginPage>[0]) => {
    const organizationId = (await appOf(opts.returnTo))?.organizationId;
    const providers = organizationId ? await services.sso.providersOf(organizationId) : [];
    return loginPage({ ...opts, forgotPassword: services.mailer.enabled, providers: providers.map((p) => ({ id: publicId("IdentityProvider", p.id), name: p.name })) });
  };

  app.get("/login", async (request, reply) => {
    const returnTo = safeReturnTo((request.query as Record<string, string | undefined>).return_to);
    return sendPage(reply, 200, await signInPage({ appName: await appName(returnTo), returnTo, csrf: csrfToken(request, reply, config) }));
  });

  // "Not you?": end this session and sign in again, back into the same authorization request.
  app.post("/login/switch", async (request, reply) => {
    const form = formFields(request.body);
    const returnTo = safeReturnTo(form.return_to);
    if (csrfValid(request, form.csrf)) {
      await services.sessions.destroy(sessionToken(request));
      reply.clearCookie(SESSION_COOKIE, cookieOptions(config));
    }
    return reply.redirect(`/oauth/login?return_to=${encodeURIComponent(returnTo)}`, 303);
  });

  app.post("/login", async (request: FastifyRequest, reply) => {
    const form = formFields(request.body);
    const returnTo = safeReturnTo(form.return_to);
    if (!csrfValid(request, form.csrf)) {
      return sendPage(reply, 403, await signInPage({ appName: await appName(returnTo), returnTo, csrf: csrfToken(request, reply, config), error: "This form has expired. Please sign in again." }));
    }
    const app = await appOf(returnTo);
    // Home-realm discovery: an email whose domain an identity provider signs in goes there,
    // without a password.
    const realm = await services.sso.providerForEmail(form.email ?? "");
    if (realm) {
      try {
        return reply.redirect(await services.sso.start(realm.id, { returnTo, browserToken: form.csrf!, loginHint: (form.email ?? "").trim() }), 303);
      } catch (err) {
        if (err instanceof SsoError) return sendSsoError(reply, err, returnTo);
        throw err;
      }
    }
    if (!form.password) {
      return sendPage(reply, 400, await signInPage({ appName: app?.name ?? null, returnTo, csrf: csrfToken(request, reply, config), email: form.email ?? "", error: "Enter your password." }));
    }
    let user: { id: string; email: string } | null;
    try {
      user = await services.passwordLogin.verify(form.email ?? "", form.password ?? "", request.ip, { organizationId: app?.organizationId ?? null });
    } catch (err) {
      if (!(err instanceof Throttled)) throw err;
      markThrottled(request, err.reason("account"));
      reply.header("retry-after", String(err.retryAfterSeconds));
      return sendPage(
        reply,
        429,
        await signInPage({ appName: app?.name ?? null, returnTo, csrf: csrfToken(request, reply, config), email: form.email ?? "", error: tooManyAttempts(err.retryAfterSeconds) }),
      );
    }
    if (!user) {
      return sendPage(
        reply,
        401,
        await signInPage({ appName: app?.name ?? null, returnTo, csrf: csrfToken(request, reply, config), email: form.email ?? "", error: LOGIN_FAILED }),
      );
    }
    // A fresh session id on every sign-in (no session fixation), then a second factor if due.
    return reply.redirect(await beginSession(services, request, reply, user.id, returnTo, "password"), 303);
  });
};
