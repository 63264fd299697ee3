// "Forgot password?" (/oauth/forgot): a person asks for a reset link by email. The answer is
// the same page, at the same speed, whatever the address (the mail goes out in the
// background), so the page reveals nothing about who has an account. Each request counts
// against the sign-in limits, per address and per account, so it cannot be used to flood a
// mailbox or probe many addresses. Without SMTP_URL there is nothing to send, and it says so.
import type { FastifyPluginAsync } from "fastify";
import { markThrottled } from "../observability/throttle-reasons.ts";
import type { Services } from "../services.ts";
import { throttleAddress } from "../throttles/addresses.ts";
import { Throttled } from "../throttles/throttled.ts";
import { accountKey } from "../throttles/throttles.ts";
import { forgotPasswordPage, forgotPasswordSentPage } from "../ui/account-pages.ts";
import { csrfToken, csrfValid, formFields, sendMessage, sendPage } from "./browser.ts";
import { safeReturnTo } from "./login.ts";

export function tooManyResetRequests(retryAfterSeconds: number): string {
  const wait = retryAfterSeconds < 90 ? `${retryAfterSeconds} seconds` : `${Math.ceil(retryAfterSeconds / 60)} minutes`;
  return `Too many requests for reset links. Please try again in ${wait}.`;
}

export const forgotPasswordRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config, mailer } = services;
  const noMail = (reply: Parameters<typeof sendMessage>[0]) =>
    sendMessage(reply, 404, "Ask an administrator", "This server does not send mail. An administrator of your organization can give you a link to choose a new password.");

  app.get("/forgot", async (request, reply) => {
    if (!mailer.enabled) return noMail(reply);
    const returnTo = safeReturnTo((request.query as Record<string, string | undefined>).return_to);
    return sendPage(reply, 200, forgotPasswordPage({ csrf: csrfToken(request, reply, config), returnTo }));
  });

  app.post("/forgot", async (request, reply) => {
    if (!mailer.enabled) return noMail(reply);
    const form = formFields(request.body);
    const returnTo = safeReturnTo(form.return_to);
    const email = (form.email ?? "").trim().toLowerCase();
    if (!csrfValid(request, form.csrf)) {
      return sendPage(reply, 403, forgotPasswordPage({ csrf: csrfToken(request, reply, config), returnTo, email, error: "This form has expired. Please try again." }));
    }
    if (!email) return sendPage(reply, 400, forgotPasswordPage({ csrf: csrfToken(request, reply, config), returnTo, error: "Enter your email." }));
    try {
      await services.throttles.passwordReset.recordFailure(
        { address: throttleAddress(request.ip), subject: accountKey(email) },
        { email, organizationId: null },
      );
    } catch (err) {
      if (!(err instanceof Throttled)) throw err;
      markThrottled(request, `password_reset_${err.limit === "subject" ? "account" : "address"}`);
      reply.header("retry-after", String(err.retryAfterSeconds));
      return sendPage(reply, 429, forgotPasswordPage({ csrf: csrfToken(request, reply, config), returnTo, email, error: tooManyResetRequests(err.retryAfterSeconds) }));
    }
    // Not awaited: the time to answer must not depend on whether the account exists.
    services.members.requestPasswordReset(email).catch((err: unknown) => request.log.error({ err }, "password reset request failed"));
    return sendPage(reply, 200, forgotPasswordSentPage({ returnTo }));
  });
};
