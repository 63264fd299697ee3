// The pages behind an ADMIN's one-time links: /oauth/invitation (join an organization) and
// /oauth/reset (choose a new password). Under /oauth so they share sign-in's CSRF cookie.
// A wrong, used or expired link reads the same, and nothing about it is echoed back.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { LinkPurpose } from "../applications/members.ts";
import type { Services } from "../services.ts";
import { accountDonePage, accountLinkPage } from "../ui/account-pages.ts";
import { csrfToken, csrfValid, formFields, sendMessage, sendPage } from "./browser.ts";

const GONE_TITLE = "This link no longer works";
const GONE_TEXT = "It has expired or was already used. Ask an administrator of your organization for a new one.";

export const accountRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config } = services;

  for (const [kind, purpose] of [
    ["invitation", "INVITE"],
    ["reset", "PASSWORD_RESET"],
  ] as const satisfies readonly (readonly ["invitation" | "reset", LinkPurpose])[]) {
    const render = async (request: FastifyRequest, reply: FastifyReply, token: string, status: number, errors?: Record<string, string>, name?: string) => {
      const link = await services.members.findLink(token, purpose);
      if (!link) return sendMessage(reply, 410, GONE_TITLE, GONE_TEXT);
      return sendPage(
        reply,
        status,
        accountLinkPage({
          kind,
          token,
          csrf: csrfToken(request, reply, config),
          email: link.email,
          organizationName: link.organizationName,
          role: link.role,
          accountExists: link.accountExists,
          ...(name !== undefined ? { name } : {}),
          ...(errors ? { errors } : {}),
        }),
      );
    };

    app.get(`/${kind}`, async (request, reply) => {
      const token = (request.query as Record<string, unknown>).token;
      return render(request, reply, typeof token === "string" ? token : "", 200);
    });

    app.post(`/${kind}`, async (request, reply) => {
      const form = formFields(request.body);
      const token = form.token ?? "";
      if (!csrfValid(request, form.csrf)) return render(request, reply, token, 403, { form: "This form has expired. Please try again." }, form.name);
      const result = await services.members.redeem(token, purpose, {
        password: form.password ?? "",
        confirm: form.confirm ?? "",
        ...(form.name !== undefined ? { name: form.name } : {}),
      });
      if (result.ok) return sendPage(reply, 200, accountDonePage(kind, result.email, `${config.issuer}/console/`));
      if (result.gone) return sendMessage(reply, 410, GONE_TITLE, GONE_TEXT);
      const errors = Object.fromEntries(result.errors.map((e) => [e.path[0] ?? "form", e.message]));
      return render(request, reply, token, 400, errors, form.name);
    });
  }
};
