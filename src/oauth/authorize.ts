// GET /oauth/authorize and the consent decision POSTed back to it (RFC 6749 §4.1.1-4.1.2).
// The request travels across login and consent as its own parameters and is re-validated at
// every step, so nothing a browser sends later can widen what was first checked.
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { authorizationAccess, personTokenScopes } from "../access/policy.ts";
import { consentedScopes, rememberConsent } from "../auth/consents.ts";
import type { ActiveSession } from "../auth/sessions.ts";
import { sha256 } from "../crypto/random.ts";
import type { Services } from "../services.ts";
import { authorizationErrorPage, consentPage, privateApplicationPage } from "../ui/pages.ts";
import { checkAuthorizationRequest, redirectWith, REQUEST_URI_GONE_HINT, type AuthorizationRequest } from "./authorize-request.ts";
import { describeSafely } from "./errors.ts";
import { csrfToken, csrfValid, formFields, sendMessage, sendPage, sessionToken } from "./browser.ts";

const CODE_TTL_MS = 60_000;

export const authorizeRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config, db, catalog } = services;

  // Descriptions may quote what the request said: kept to RFC 6749's character set.
  const toClient = (reply: FastifyReply, uri: string, values: Record<string, string | undefined>) =>
    reply
      .header("cache-control", "no-store")
      .redirect(redirectWith(uri, config.issuer, values.error_description === undefined ? values : { ...values, error_description: describeSafely(values.error_description) }), 303);

  const returnPath = (params: Record<string, string>, drop: string[] = []) => {
    const qs = new URLSearchParams(Object.entries(params).filter(([k]) => !drop.includes(k)));
    return `/oauth/authorize?${qs.toString()}`;
  };

  /** Back to the app with access_denied: only for a validated request, whose redirect URI is registered. */
  const backToApp = (req: AuthorizationRequest, description: string) => ({
    href: redirectWith(req.redirectUri, config.issuer, { error: "access_denied", error_description: description, state: req.state }),
    appName: req.app.name,
  });

  /** The organization that registered the app; first-party apps are the operator's. */
  async function publisherOf(req: AuthorizationRequest): Promise<string | null> {
    const org = req.app.organizationId
      ? await db.organization.findUnique({ where: { id: req.app.organizationId }, select: { name: true } })
      : await db.organization.findFirst({ where: { isOperator: true }, select: { name: true } });
    return org?.name ?? null;
  }

  async function issueCode(reply: FastifyReply, req: AuthorizationRequest, session: ActiveSession) {
    // RFC 9126 §4: a pushed request is used once, when its code is issued; of two tabs racing,
    // one gets the code and the other the error.
    if (req.pushed) {
      const used = await db.pushedAuthorizationRequest.deleteMany({ where: { requestUriHash: req.pushed.key, expiresAt: { gt: new Date() } } });
      if (used.count === 0) {
        return sendPage(
          reply,
          400,
          authorizationErrorPage({
            title: "This sign-in link is not valid",
            message: "This sign-in link has expired or was already used.",
            error: "invalid_request_uri",
            parameter: "request_uri",
            hint: REQUEST_URI_GONE_HINT,
          }),
        );
      }
    }
    const code = randomBytes(32).toString("base64url");
    await db.authorizationCode.create({
      data: {
        codeHash: sha256(code),
        applicationId: req.app.id,
        userId: session.userId,
        redirectUri: req.redirectUri,
        redirectUriGiven: req.redirectUriGiven,
        scopes: req.scopes.join(" "),
        codeChallenge: req.codeChallenge ?? null,
        nonce: req.nonce ?? null,
        dpopJkt: req.dpopJkt ?? null,
        authTime: session.authTime,
        sessionId: session.id,
        expiresAt: new Date(Date.now() + CODE_TTL_MS),
      },
    });
    return toClient(reply, req.redirectUri, { code, state: req.state });
  }

  /** Everything after a valid request: login, visibility, consent, code. */
  async function proceed(request: FastifyRequest, reply: FastifyReply, requested: AuthorizationRequest, decision?: string) {
    let req = requested;
    const session = await services.sessions.get(sessionToken(request));
    // prompt=login asks for a fresh sign-in. A plain request drops prompt on its way back from
    // the sign-in page; a pushed one comes back unchanged, so a sign-in after the push counts.
    const freshSignIn = req.pushed !== null && session !== null && session.authTime.getTime() >= req.pushed.pushedAt.getTime();
    if (!session || (req.prompt.has("login") && decision === undefined && !freshSignIn)) {
      if (req.prompt.has("none")) {
        if (!req.errorRedirectTrusted) {
          return sendPage(reply, 400, authorizationErrorPage({ title: "Sign-in required", message: "the user is not signed in", error: "login_required" }));
        }
        return toClient(reply, req.redirectUri, { error: "login_required", error_description: "the user is not signed in", state: req.state });
      }
      const returnTo = returnPath(req.params, ["prompt"]);
      return reply.redirect(`/oauth/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    }
    // A PRIVATE app is for its own organization's members only: others get a refusal, not a consent page.
    const access = await authorizationAccess(services.memberships, req.app, session.userId);
    if (!access.allowed) {
      return sendPage(
        reply,
        403,
        privateApplicationPage({
          appName: req.app.name,
          userEmail: session.email,
          switchAccount: { csrf: csrfToken(request, reply, config), returnTo: returnPath(req.params, ["prompt"]) },
          back: backToApp(req, "the user is not a member of the organization this private application belongs to"),
        }),
      );
    }
    // Now that who asks is known, the request must hold for the revision they get: outside a
    // PUBLIC app's organization, a redirect URI or scope still under review does not exist.
    // (A PRIVATE app has one revision, already checked.)
    const recheck = req.app.visibility === "PUBLIC" ? await checkAuthorizationRequest(req.params, services, access.revision) : { kind: "ok" as const, request: req };
    if (recheck.kind === "page") {
      const { status, kind: _, ...details } = recheck;
      return sendPage(reply, status, authorizationErrorPage(details));
    }
    if (recheck.kind === "redirect") {
      return toClient(reply, recheck.redirectUri, { error: recheck.error, error_description: recheck.description, state: recheck.state });
    }
    req = { ...recheck.request, prompt: req.prompt };

    // The admin API's scopes (oauth.connect_scopes) and scopes that need an administrator's
    // consent (oauth.admin_consent) are left out for whoever the policy does not give them to.
    const { allowed, refused } = await personTokenScopes(services, { app: req.app, userId: session.userId, scopes: req.scopes, grant: "authorize" });
    if (refused.length > 0) {
      req = { ...req, scopes: allowed };
      if (req.scopes.length === 0) {
        const adminOnly = refused.filter((r) => r.rule === "oauth.admin_consent").map((r) => r.scope);
        return toClient(reply, req.redirectUri, {
          error: "access_denied",
          error_description: adminOnly.length > 0 ? `only an administrator may grant ${adminOnly.join(" ")}` : refused[0]!.reason,
          state: req.state,
        });
      }
    }

    if (decision === "deny") {
      return toClient(reply, req.redirectUri, { error: "access_denied", error_description: "the user denied the request", state: req.state });
    }
    if (decision === "approve") {
      await rememberConsent(db, session.userId, req.app.id, req.scopes);
      return issueCode(reply, req, session);
    }

    const consented = await consentedScopes(db, session.userId, req.app.id);
    const skip = (req.app.isFirstParty && config.firstPartySkipConsent) || req.scopes.every((s) => consented.has(s));
    if (skip && !req.prompt.has("consent")) {
      if (req.app.isFirstParty && config.firstPartySkipConsent) await rememberConsent(db, session.userId, req.app.id, req.scopes);
      return issueCode(reply, req, session);
    }
    if (req.prompt.has("none")) {
      return toClient(reply, req.redirectUri, { error: "consent_required", error_description: "the user has not approved these scopes", state: req.state });
    }
    const scopes = req.scopes.map((name) => {
      const scope = catalog.scope(name)!;
      // The server's own identity scopes read as "Your account" to the person deciding.
      return { name, consent: scope.consent, hubName: scope.hub.builtIn ? "Your account" : scope.hub.name };
    });
    const csrf = csrfToken(request, reply, config);
    return sendPage(
      reply,
      200,
      consentPage({
        app: req.app,
        scopes,
        userEmail: session.email,
        csrf,
        params: req.params,
        publisher: await publisherOf(req),
        published: req.app.visibility === "PUBLIC",
        redirectHost: redirectHostOf(req.redirectUri),
        connectedAppsUrl: `${config.issuer}/console/connected-apps`,
        switchAccount: { csrf, returnTo: returnPath(req.params, ["prompt"]) },
      }),
    );
  }

  async function handle(request: FastifyRequest, reply: FastifyReply, raw: Record<string, unknown>, decision?: string) {
    const check = await checkAuthorizationRequest(raw, services);
    if (check.kind === "page") {
      const { status, kind: _, ...details } = check;
      return sendPage(reply, status, authorizationErrorPage(details));
    }
    if (check.kind === "redirect") {
      return toClient(reply, check.redirectUri, { error: check.error, error_description: check.description, state: check.state });
    }
    return proceed(request, reply, check.request, decision);
  }

  app.get("/authorize", async (request, reply) => handle(request, reply, request.query as Record<string, unknown>));

  app.post("/authorize", async (request, reply) => {
    const form = formFields(request.body);
    if (!csrfValid(request, form.csrf)) {
      return sendMessage(reply, 403, "This form has expired", "Go back to the application and start signing in again.");
    }
    const decision = form.decision === "approve" || form.decision === "deny" ? form.decision : undefined;
    if (!decision) return sendMessage(reply, 400, "Unknown decision", "Choose Allow or Deny.");
    return handle(request, reply, form, decision);
  });
};

/** Where the browser goes after the decision, as a person can judge it: the host, or a native app's scheme. */
function redirectHostOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === "https:" || url.protocol === "http:" ? url.host : `${url.protocol}//`;
}
