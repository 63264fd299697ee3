// Every console form's rules in one place, built from the server's own numbers and patterns
// (src/applications/limits.ts, which imports nothing and which Vite bundles into the console).
// A form checks lightly here and fully at the server, whose every fieldError is shown at its
// field. test/console-rules.test.ts probes these schemas and the server's validators at each
// boundary, so the console cannot drift from the server.
import * as z from "zod/mini";
import { DOMAIN_PATTERN, EMAIL_MAX, EMAIL_PATTERN, IDP_LIMITS, LIMITS, PUBLICATION_LIMITS } from "../../src/applications/limits.ts";

export { IDP_LIMITS, LIMITS, PUBLICATION_LIMITS };

const atMost = (max: number) => z.maxLength(max, `At most ${max} characters.`);
const wholeNumber = (min: number, max: number, message: string, optional: boolean) =>
  z.string().check(z.refine((t) => (optional && t.trim() === "") || (/^\d+$/.test(t.trim()) && Number(t) >= min && Number(t) <= max), { message }));
/** One value a line, blank lines and surrounding spaces ignored. */
export const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

// Applications (src/applications/fields.ts)
export const applicationName = z.string().check(z.trim(), z.minLength(1, "Give the application a name."), atMost(LIMITS.nameMax));
export const applicationDescription = z.string().check(atMost(LIMITS.descriptionMax));
export const tokenExchangeTtl = wholeNumber(
  LIMITS.tokenExchangeTtlMin,
  LIMITS.tokenExchangeTtlMax,
  `Seconds, a whole number from ${LIMITS.tokenExchangeTtlMin} to ${LIMITS.tokenExchangeTtlMax}.`,
  true,
);

// Client secrets (validateSecretInput in src/applications/rules.ts)
export const secretForm = z.object({
  description: z.string().check(atMost(LIMITS.secretDescriptionMax)),
  expiresInDays: wholeNumber(1, LIMITS.secretExpiresInDaysMax, `Between 1 and ${LIMITS.secretExpiresInDaysMax} days, or empty for a secret that never expires.`, true),
});
export type SecretFormValues = z.infer<typeof secretForm>;

// Public keys of a private_key_jwt application (checkJwks / checkJwksUri in fields.ts)
export const publicKeysForm = z.object({
  source: z.enum(["jwks", "jwksUri"]),
  jwks: z.string().check(atMost(LIMITS.jwksMaxLength)),
  jwksUri: z.string().check(atMost(LIMITS.uriMax)),
});
export type PublicKeysFormValues = z.infer<typeof publicKeysForm>;

// People (src/applications/members.ts)
const email = z.string().check(
  z.trim(),
  z.refine((e) => EMAIL_PATTERN.test(e) && e.length <= EMAIL_MAX, { message: "An email address, e.g. ada@acme.example." }),
);
export const inviteForm = z.object({ email, role: z.enum(["MEMBER", "ADMIN"]) });
export type InviteFormValues = z.infer<typeof inviteForm>;
export const organizationForm = z.object({
  name: z.string().check(z.trim(), z.minLength(1, "Give the organization a name."), atMost(LIMITS.nameMax)),
  adminEmail: email,
});
export type OrganizationFormValues = z.infer<typeof organizationForm>;

// Identity providers (src/applications/identity-providers.ts)
export const identityProviderForm = z
  .object({
    name: z.string().check(z.trim(), z.minLength(1, "Give the provider a name."), atMost(IDP_LIMITS.nameMax)),
    issuer: z.string().check(z.trim(), z.minLength(1, "The issuer is required, e.g. https://example.okta.com."), atMost(IDP_LIMITS.uriMax)),
    jwksUri: z.string().check(z.trim(), atMost(IDP_LIMITS.uriMax)),
    audience: z.string().check(z.trim(), z.minLength(1, "The audience is required."), atMost(IDP_LIMITS.audienceMax)),
    subjectMapping: z.enum(["EMAIL", "SUB"]),
    clockSkewSeconds: wholeNumber(0, IDP_LIMITS.clockSkewMax, `A whole number of seconds from 0 to ${IDP_LIMITS.clockSkewMax}.`, true),
    signInEnabled: z.boolean(),
    signInClientId: z.string().check(z.trim(), atMost(IDP_LIMITS.clientIdMax)),
    signInClientSecret: z.string().check(atMost(IDP_LIMITS.clientSecretMax)),
    signInEmailDomains: z.string().check(
      z.refine((t) => lines(t).length <= IDP_LIMITS.emailDomainsMax, { message: `At most ${IDP_LIMITS.emailDomainsMax} domains.` }),
      z.refine((t) => lines(t).every((d) => DOMAIN_PATTERN.test(d.toLowerCase())), { message: "One domain name a line, such as example.com." }),
    ),
    signInJitRole: z.enum(["", "MEMBER", "ADMIN"]),
    /** Whether the server holds a secret already (an edit may leave the field empty). */
    signInSecretStored: z.boolean(),
  })
  .check(
    z.refine((v) => !v.signInEnabled || v.signInClientId.trim() !== "", { message: "Required to sign people in through this provider.", path: ["signInClientId"] }),
    z.refine((v) => !v.signInEnabled || v.signInSecretStored || v.signInClientSecret !== "", {
      message: "Required to sign people in through this provider.",
      path: ["signInClientSecret"],
    }),
  );
export type IdentityProviderFormValues = z.infer<typeof identityProviderForm>;
export const linkSubjectForm = z.object({
  subject: z.string().check(z.trim(), z.minLength(1, "The subject (sub) the provider gives this person."), atMost(IDP_LIMITS.subjectMax)),
  userId: z.string().check(z.minLength(1, "Choose a member.")),
});
export type LinkSubjectFormValues = z.infer<typeof linkSubjectForm>;

// Publication (src/applications/publication.ts)
export const publicationRequestForm = z.object({ notes: z.string().check(z.trim(), atMost(PUBLICATION_LIMITS.notesMax)) });
export type PublicationRequestFormValues = z.infer<typeof publicationRequestForm>;
export const rejectForm = z.object({
  reason: z.string().check(z.trim(), z.minLength(1, "Say why, so the organization knows what to change."), atMost(PUBLICATION_LIMITS.reasonMax)),
});
export type RejectFormValues = z.infer<typeof rejectForm>;
