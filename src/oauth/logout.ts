// OpenID Connect RP-initiated logout: ends the session, then returns only to a post-logout
// redirect URI registered for the application named by client_id or id_token_hint. Without a
// valid id_token_hint nothing proves the request comes from the app the person used, so the
// person confirms first (a page that signs them out on its own would be logout CSRF).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { SESSION_COOKIE } from "../auth/sessions.ts";
import type { Services } from "../services.ts";
import { logoutConfirmPage, signedOutPage } from "../ui/pages.ts";
import { cookieOptions, csrfToken, csrfValid, formFields, sendMessage, sendPage, sessionToken } from "./browser.ts";

export const logoutRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config, db, keys } = services;

  async function handle(request: FastifyRequest, reply: FastifyReply, params: Record<string, string>, confirmed: boolean) {
    let clientId = params.client_id;
    if (params.id_token_hint) {
      // An expired ID token is still a fine hint; a forged one is not.
      const payload = await keys.verifySignature(params.id_token_hint).catch(() => null);
      if (!payload || payload.iss !== config.issuer) return sendMessage(reply, 400, "Sign-out failed", "The id_token_hint was not issued by this server.");
      const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
      if (clientId && aud !== clientId) return sendMessage(reply, 400, "Sign-out failed", "client_id does not match the id_token_hint.");
      clientId = typeof aud === "string" ? aud : undefined;
    }
    let target: string | undefined;
    const requested = params.post_logout_redirect_uri;
    if (requested) {
      const application = clientId
        ? await db.connectApplication.findUnique({ where: { clientId }, include: { redirectUris: { where: { kind: "POST_LOGOUT" } } } })
        : null;
      if (!application) return sendMessage(reply, 400, "Sign-out failed", "post_logout_redirect_uri needs client_id or id_token_hint naming the application.");
      if (!application.redirectUris.some((r) => r.uri === requested)) {
        return sendMessage(reply, 400, "Sign-out failed", "The post-logout redirect URI is not registered for this application.");
      }
      target = requested;
    }
    if (!params.id_token_hint && !confirmed) {
      const { csrf: _csrf, confirm: _confirm, ...asked } = params;
      const named = clientId ? await db.connectApplication.findUnique({ where: { clientId }, select: { name: true } }) : null;
      return sendPage(reply, 200, logoutConfirmPage({ csrf: csrfToken(request, reply, config), params: asked, appName: named?.name ?? null }));
    }

    await services.sessions.destroy(sessionToken(request));
    reply.clearCookie(SESSION_COOKIE, cookieOptions(config));
    if (!target) return sendPage(reply, 200, signedOutPage());
    const url = new URL(target);
    if (params.state) url.searchParams.set("state", params.state);
    return reply.header("cache-control", "no-store").redirect(url.toString(), 303);
  }

  app.get("/logout", async (request, reply) => handle(request, reply, formFields(request.query), false));
  app.post("/logout", async (request, reply) => {
    const form = formFields(request.body);
    // Only this server's own confirmation form counts as the person's yes.
    return handle(request, reply, form, form.confirm === "yes" && csrfValid(request, form.csrf));
  });
};
