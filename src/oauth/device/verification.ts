// The verification page of the device flow (RFC 8628 §3.3), /oauth/device:
//   1. the person types the code their device shows ("Code", "Continue"); a link with
//      ?user_code= (verification_uri_complete) only fills the field in: they still confirm;
//   2. they sign in (the usual sign-in page, returning to /oauth/device/confirm);
//   3. the usual consent page names the application, always shown: a code typed from someone
//      else's screen is the device flow's phishing (RFC 8628 §5.4), so no silent approval;
//   4. a page says they can return to their device.
// Every look-up of a code first reserves a failure on the throttle (per address and per browser
// session) and gives it back when the code was good: past the limit, even a right guess is refused.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { authorizationAccess, grantsFor, personTokenScopes } from "../../access/policy.ts";
import { approvedRevisionOf } from "../../applications/revision.ts";
import { rememberConsent } from "../../auth/consents.ts";
import { CSRF_COOKIE, type ActiveSession } from "../../auth/sessions.ts";
import { sha256 } from "../../crypto/random.ts";
import type { Db } from "../../db/client.ts";
import { markThrottled } from "../../observability/throttle-reasons.ts";
import type { Services } from "../../services.ts";
import { throttleAddress } from "../../throttles/addresses.ts";
import type { ThrottleKeys } from "../../throttles/failure-throttle.ts";
import { Throttled } from "../../throttles/throttled.ts";
import { deviceCodePage, deviceDonePage } from "../../ui/device-pages.ts";
import { consentPage, privateApplicationPage } from "../../ui/pages.ts";
import { csrfToken, csrfValid, formFields, sendMessage, sendPage, sessionToken } from "../browser.ts";
import { displayUserCode, normaliseUserCode } from "./codes.ts";

export const DEVICE_CONFIRM_PATH = "/oauth/device/confirm";
const NOT_VALID = "That code is not valid or has expired. Check the code on your device and try again.";

const APPLICATION_FIELDS = {
  id: true,
  clientId: true,
  name: true,
  description: true,
  logoUri: true,
  termsOfServiceUri: true,
  privacyPolicyUri: true,
  isFirstParty: true,
  organizationId: true,
  visibility: true,
  approvedRevision: true,
} as const;

async function pendingByUserCode(db: Db, code: string) {
  const row = await db.deviceAuthorization.findUnique({ where: { userCodeHash: sha256(code) }, include: { application: { select: APPLICATION_FIELDS } } });
  if (!row || row.status !== "PENDING" || row.consumedAt || row.expiresAt.getTime() <= Date.now()) return null;
  return row;
}
type Pending = NonNullable<Awaited<ReturnType<typeof pendingByUserCode>>>;

/** Where sign-in returns to, and the sign-in page's app name (login.ts asks for it). */
export function deviceConfirmPath(code: string): string {
  return `${DEVICE_CONFIRM_PATH}?user_code=${displayUserCode(code)}`;
}

/** The application a device sign-in is for, named on the sign-in page; null when the code is not usable. */
export async function applicationOfDeviceReturn(db: Db, returnTo: string): Promise<{ name: string; organizationId: string | null } | null> {
  const typed = new URLSearchParams(returnTo.split("?")[1] ?? "").get("user_code");
  const code = typed ? normaliseUserCode(typed) : null;
  if (!code) return null;
  const row = await pendingByUserCode(db, code);
  return row ? { name: row.application.name, organizationId: row.application.organizationId } : null;
}

function tooManyWrongCodes(retryAfterSeconds: number): string {
  const wait = retryAfterSeconds < 90 ? `${retryAfterSeconds} seconds` : `${Math.ceil(retryAfterSeconds / 60)} minutes`;
  return `Too many wrong codes. Please try again in ${wait}.`;
}

export const deviceVerificationRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config, db, catalog } = services;
  const throttle = services.throttles.deviceCode;

  /** The address, and the browser: its session once signed in, its CSRF cookie before. */
  const keysOf = (request: FastifyRequest): ThrottleKeys => {
    const browser = sessionToken(request) ?? request.cookies[CSRF_COOKIE];
    return { address: throttleAddress(request.ip), subject: browser ? sha256(`device:${browser}`) : null };
  };

  const codePage = (request: FastifyRequest, reply: FastifyReply, status: number, opts: { code?: string; error?: string; prefilled?: boolean } = {}) =>
    sendPage(reply, status, deviceCodePage({ csrf: csrfToken(request, reply, config), ...opts }));

  /**
   * The pending request behind what the person typed, counted by the throttle. Answers the
   * page itself (wrong code, throttled) and returns null, or returns the request.
   */
  async function lookUp(request: FastifyRequest, reply: FastifyReply, typed: string | undefined): Promise<{ row: Pending; code: string } | null> {
    const code = typed ? normaliseUserCode(typed) : null;
    try {
      const reservation = await throttle.reserve(keysOf(request), { organizationId: null });
      const row = code ? await pendingByUserCode(db, code) : null;
      if (row && code) {
        await reservation.refund();
        return { row, code };
      }
    } catch (err) {
      if (!(err instanceof Throttled)) throw err;
      markThrottled(request, `${err.throttle}_${err.limit === "subject" ? "session" : "address"}`);
      reply.header("retry-after", String(err.retryAfterSeconds));
      await codePage(request, reply, 429, { code: typed ?? "", error: tooManyWrongCodes(err.retryAfterSeconds) });
      return null;
    }
    await codePage(request, reply, 400, { code: typed ?? "", error: NOT_VALID });
    return null;
  }

  /** The application as this person gets it, and the scopes they may allow it; or a page already sent. */
  async function decisionFor(request: FastifyRequest, reply: FastifyReply, { row, code }: { row: Pending; code: string }, session: ActiveSession) {
    const confirmPath = deviceConfirmPath(code);
    const target = row.application;
    const access = await authorizationAccess(services.memberships, target, session.userId);
    if (!access.allowed) {
      await sendPage(
        reply,
        403,
        privateApplicationPage({ appName: target.name, userEmail: session.email, switchAccount: { csrf: csrfToken(request, reply, config), returnTo: confirmPath } }),
      );
      return null;
    }
    const revision = access.revision === "approved" ? approvedRevisionOf(target) : null;
    // What the app may still be granted for this person (their revision), then what the policy
    // lets a person's token carry (the admin API's scopes, admin consent).
    const view = await services.clients.get(target.clientId);
    const { delegatedScopes } = view ? await grantsFor(services.memberships, view, session.userId) : { delegatedScopes: new Set<string>() };
    const granted = row.scopes.split(" ").filter((s) => delegatedScopes.has(s));
    const { allowed: scopes } = await personTokenScopes({ memberships: services.memberships, catalog }, { app: target, userId: session.userId, scopes: granted, grant: "authorize" });
    const shown = { ...target, name: revision?.name ?? target.name, logoUri: revision ? revision.logoUri : target.logoUri };
    if (scopes.length === 0) {
      await sendMessage(reply, 403, "Nothing to allow", `${shown.name} asked for access that you cannot give it. Ask an administrator of its organization.`);
      return null;
    }
    return { app: shown, scopes, confirmPath };
  }

  app.get("/device", async (request, reply) => {
    const typed = (request.query as Record<string, unknown>).user_code;
    const code = typeof typed === "string" ? normaliseUserCode(typed) : null;
    // Only a well-formed code is put in the field: the link is not trusted to say anything else.
    return codePage(request, reply, 200, code ? { code: displayUserCode(code), prefilled: true } : {});
  });

  app.post("/device", async (request, reply) => {
    const form = formFields(request.body);
    if (!csrfValid(request, form.csrf)) return codePage(request, reply, 403, { code: form.user_code ?? "", error: "This form has expired. Please enter the code again." });
    const found = await lookUp(request, reply, form.user_code);
    if (!found) return reply;
    return reply.redirect(deviceConfirmPath(found.code), 303);
  });

  app.get("/device/confirm", async (request, reply) => {
    const typed = (request.query as Record<string, unknown>).user_code;
    const found = await lookUp(request, reply, typeof typed === "string" ? typed : undefined);
    if (!found) return reply;
    const session = await services.sessions.get(sessionToken(request));
    const confirmPath = deviceConfirmPath(found.code);
    if (!session) return reply.redirect(`/oauth/login?return_to=${encodeURIComponent(confirmPath)}`, 303);
    const decision = await decisionFor(request, reply, found, session);
    if (!decision) return reply;
    const csrf = csrfToken(request, reply, config);
    const publisher = decision.app.organizationId
      ? await db.organization.findUnique({ where: { id: decision.app.organizationId }, select: { name: true } })
      : await db.organization.findFirst({ where: { isOperator: true }, select: { name: true } });
    return sendPage(
      reply,
      200,
      consentPage({
        app: decision.app,
        scopes: decision.scopes.map((name) => {
          const scope = catalog.scope(name)!;
          return { name, consent: scope.consent, hubName: scope.hub.builtIn ? "Your account" : scope.hub.name };
        }),
        userEmail: session.email,
        csrf,
        params: { user_code: displayUserCode(found.code) },
        publisher: publisher?.name ?? null,
        published: decision.app.visibility === "PUBLIC",
        connectedAppsUrl: `${config.issuer}/console/connected-apps`,
        switchAccount: { csrf, returnTo: confirmPath },
        action: DEVICE_CONFIRM_PATH,
      }),
    );
  });

  app.post("/device/confirm", async (request, reply) => {
    const form = formFields(request.body);
    if (!csrfValid(request, form.csrf)) return sendMessage(reply, 403, "This form has expired", "Enter the code from your device again.");
    const decision = form.decision === "approve" || form.decision === "deny" ? form.decision : undefined;
    if (!decision) return sendMessage(reply, 400, "Unknown decision", "Choose Allow or Deny.");
    const found = await lookUp(request, reply, form.user_code);
    if (!found) return reply;
    const { row } = found;
    const session = await services.sessions.get(sessionToken(request));
    if (!session) return reply.redirect(`/oauth/login?return_to=${encodeURIComponent(deviceConfirmPath(found.code))}`, 303);
    const allowed = await decisionFor(request, reply, found, session);
    if (!allowed) return reply;
    // Decided once: of two decisions at once (two tabs), only the first counts.
    const decided = await db.deviceAuthorization.updateMany({
      where: { id: row.id, status: "PENDING", consumedAt: null, expiresAt: { gt: new Date() } },
      data:
        decision === "approve"
          ? { status: "APPROVED", userId: session.userId, scopes: allowed.scopes.join(" "), authTime: session.authTime, sessionId: session.id, decidedAt: new Date() }
          : { status: "DENIED", userId: session.userId, decidedAt: new Date() },
    });
    if (decided.count !== 1) return codePage(request, reply, 400, { error: NOT_VALID });
    if (decision === "approve") await rememberConsent(db, session.userId, row.applicationId, allowed.scopes);
    return sendPage(reply, 200, deviceDonePage({ appName: allowed.app.name, approved: decision === "approve" }));
  });
};
