// OpenID Connect RP-initiated logout: ends the session, then returns only to a post-logout
// redirect URI registered for the application named by client_id or id_token_hint.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { SESSION_COOKIE } from "../auth/sessions.ts";
import type { Services } from "../services.ts";
import { signedOutPage } from "../ui/pages.ts";
import { cookieOptions, formFields, sendMessage, sendPage, sessionToken } from "./browser.ts";

export const logoutRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config, db, keys } = services;

  async function handle(request: FastifyRequest, reply: FastifyReply, params: Record<string, string>) {
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

    await services.sessions.destroy(sessionToken(request));
    reply.clearCookie(SESSION_COOKIE, cookieOptions(config));
    if (!target) return sendPage(reply, 200, signedOutPage());
    const url = new URL(target);
    if (params.state) url.searchParams.set("state", params.state);
    return reply.header("cache-control", "no-store").redirect(url.toString(), 303);
  }

  app.get("/logout", async (request, reply) => handle(request, reply, formFields(request.query)));
  app.post("/logout", async (request, reply) => handle(request, reply, formFields(request.body)));
};
