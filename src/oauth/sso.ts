// The browser's side of single sign-on (src/auth/sso.ts does the protocol): a "Continue with
// ..." button posts to /oauth/sso/start, the provider sends the browser back to
// /oauth/sso/callback, and a session begins as after a password. What goes wrong at the
// provider is a page that says what happened, with a way back to the sign-in page.
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { CSRF_COOKIE, SESSION_COOKIE } from "../auth/sessions.ts";
import { SsoError } from "../auth/sso.ts";
import { rawIdOf } from "../ids.ts";
import type { Services } from "../services.ts";
import { ssoErrorPage } from "../ui/pages.ts";
import { cookieOptions, csrfToken, csrfValid, formFields, sendPage, sessionToken } from "./browser.ts";
import { safeReturnTo } from "./return-to.ts";
import { beginSession } from "./sign-in-steps.ts";

export function sendSsoError(reply: FastifyReply, err: SsoError, returnTo: string) {
  return sendPage(reply, err.status, ssoErrorPage({ title: err.title, message: err.message, signInUrl: `/oauth/login?return_to=${encodeURIComponent(returnTo)}` }));
}

export const ssoRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config, sso } = services;

  app.post("/sso/start", async (request, reply) => {
    const form = formFields(request.body);
    const returnTo = safeReturnTo(form.return_to);
    if (!csrfValid(request, form.csrf)) {
      return sendSsoError(reply, new SsoError("This form has expired", "Please go back to the sign-in page and try again.", 403), returnTo);
    }
    try {
      const url = await sso.start(rawIdOf(form.provider, "IdentityProvider") ?? "", { returnTo, browserToken: csrfToken(request, reply, config) });
      return reply.redirect(url, 303);
    } catch (err) {
      if (err instanceof SsoError) return sendSsoError(reply, err, returnTo);
      throw err;
    }
  });

  app.get("/sso/callback", async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const params = Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => typeof e[1] === "string"));
    try {
      const { userId, returnTo } = await sso.finish(params, request.cookies[CSRF_COOKIE]);
      // A fresh session id on every sign-in (no session fixation), then a second factor if due,
      // as after a password.
      return reply.redirect(await beginSession(services, request, reply, userId, safeReturnTo(returnTo), "sso"), 303);
    } catch (err) {
      if (err instanceof SsoError) return sendSsoError(reply, err, err.returnTo ?? "/oauth/authorize");
      throw err;
    }
  });
};
