// What the server mails, each in plain text and HTML, naming the product and the organization
// the mail is about. Every value is escaped in the HTML part; links are the only action.
import { esc } from "../ui/html.ts";

export const PRODUCT_NAME = "Scopekeeper";

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export interface MailParts {
  subject: string;
  /** The organization the mail is about, shown in the header and the footer. */
  organizationName: string | null;
  heading: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  /** Below the action: why the person got this mail, what to do if it was not them. */
  footnote?: string;
}

/** One layout for every mail (other modules build theirs with it, e.g. a new factor's notice). */
export function composeMail(parts: MailParts): MailContent {
  const from = parts.organizationName ? `${PRODUCT_NAME} · ${parts.organizationName}` : PRODUCT_NAME;
  const text = [
    from,
    "",
    parts.heading,
    "",
    ...parts.paragraphs.flatMap((p) => [p, ""]),
    ...(parts.action ? [`${parts.action.label}:`, parts.action.url, ""] : []),
    ...(parts.footnote ? [parts.footnote, ""] : []),
    `-- ${PRODUCT_NAME}${parts.organizationName ? ` for ${parts.organizationName}` : ""}`,
  ].join("\n");
  const button = parts.action
    ? `<p style="margin:24px 0"><a href="${esc(parts.action.url)}" style="background:#2d5bff;color:#fff;padding:12px 20px;border-radius:8px;text-decoration:none;display:inline-block">${esc(parts.action.label)}</a></p>
<p style="color:#5b6475;font-size:13px">Or open this link: <a href="${esc(parts.action.url)}" style="color:#2d5bff;word-break:break-all">${esc(parts.action.url)}</a></p>`
    : "";
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(parts.subject)}</title></head>
<body style="margin:0;background:#f4f5f7;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2433">
<div style="max-width:520px;margin:24px auto;background:#fff;border-radius:12px;padding:28px">
<p style="color:#5b6475;font-size:13px;margin:0 0 12px">${esc(from)}</p>
<h1 style="font-size:20px;margin:0 0 12px">${esc(parts.heading)}</h1>
${parts.paragraphs.map((p) => `<p>${esc(p)}</p>`).join("\n")}
${button}
${parts.footnote ? `<p style="color:#5b6475;font-size:13px">${esc(parts.footnote)}</p>` : ""}
</div></body></html>`;
  return { subject: parts.subject, text, html };
}

export function invitationMail(o: { organizationName: string; role: string; url: string; validDays: number }): MailContent {
  return composeMail({
    subject: `You are invited to join ${o.organizationName} on ${PRODUCT_NAME}`,
    organizationName: o.organizationName,
    heading: `Join ${o.organizationName}`,
    paragraphs: [
      `You were invited to ${o.organizationName} on ${PRODUCT_NAME} as ${o.role === "ADMIN" ? "an admin" : "a member"}.`,
      `The link works once and for ${o.validDays} days.`,
    ],
    action: { label: "Accept the invitation", url: o.url },
    footnote: "If you did not expect this invitation, you can ignore this mail.",
  });
}

export function passwordResetMail(o: { organizationName: string | null; url: string; validHours: number }): MailContent {
  return composeMail({
    subject: `Choose a new ${PRODUCT_NAME} password`,
    organizationName: o.organizationName,
    heading: "Choose a new password",
    paragraphs: [`Someone asked for a new password for your ${PRODUCT_NAME} account. The link works once and for ${o.validHours} hours.`],
    action: { label: "Choose a new password", url: o.url },
    footnote: "If it was not you, ignore this mail: your password stays as it is.",
  });
}
