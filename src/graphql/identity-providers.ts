// Identity providers (token exchange) as GraphQL: ADMINs of an organization register, change
// and remove its trusted external issuers and link external subjects to members. The rules
// live in src/applications/identity-providers.ts.
import { NotFoundError, ValidationError } from "../errors.ts";
import type { JitRole, SignInInput, SubjectMapping } from "../applications/identity-providers.ts";
import { MemberRoleEnum } from "./applications.ts";
import { publicId } from "../ids.ts";
import { builder } from "./builder.ts";
import { MUTATION_ERRORS } from "./errors.ts";
import { idOf } from "./ids.ts";

export const SubjectMappingEnum = builder.enumType("SubjectMapping", {
  description: "EMAIL: the token's email claim, which must be verified (email_verified true). SUB: its sub, through linkExternalIdentity.",
  values: ["EMAIL", "SUB"] as const,
});

const IdentityProviderSignIn = builder
  .objectRef<{ enabled: boolean; clientId: string | null; clientSecretSet: boolean; emailDomains: string[]; jitRole: JitRole | null }>("IdentityProviderSignIn")
  .implement({
    description: "Sign-in through the provider (OpenID Connect code flow, redirect URI {issuer}/oauth/sso/callback). The client secret is never shown.",
    fields: (t) => ({
      enabled: t.exposeBoolean("enabled"),
      clientId: t.exposeString("clientId", { nullable: true, description: "This server's client_id at the provider: its ID tokens' aud." }),
      clientSecretSet: t.exposeBoolean("clientSecretSet", { description: "Whether a client secret is stored (the secret itself is never shown)." }),
      emailDomains: t.exposeStringList("emailDomains", { description: "People whose email is in one of these domains are sent to this provider from the sign-in page." }),
      jitRole: t.field({ type: MemberRoleEnum, nullable: true, resolve: (s) => s.jitRole, description: "An unknown person joins the organization with this role; null: refused." }),
    }),
  });

export const IdentityProvider = builder.prismaObject("IdentityProvider", {
  description: "A trusted external issuer of an organization whose tokens token exchange accepts.",
  fields: (t) => ({
    id: t.id({ resolve: (p) => publicId("IdentityProvider", p.id) }),
    name: t.exposeString("name"),
    issuer: t.exposeString("issuer"),
    jwksUri: t.exposeString("jwksUri", { nullable: true, description: "Null: discovered from the issuer's metadata." }),
    audience: t.exposeString("audience", { description: "The aud its tokens must carry." }),
    subjectMapping: t.field({ type: SubjectMappingEnum, resolve: (p) => p.subjectMapping as SubjectMapping }),
    clockSkewSeconds: t.exposeInt("clockSkewSeconds"),
    signIn: t.field({
      type: IdentityProviderSignIn,
      select: { id: true, signInEnabled: true, signInClientId: true, signInClientSecret: true, signInJitRole: true, emailDomains: { select: { domain: true }, orderBy: { domain: "asc" } } },
      resolve: async (p, _args, ctx) => {
        // Rows the services return (the list, a mutation's result) come without the selection.
        const loaded = (p as { emailDomains?: { domain: string }[] }).emailDomains;
        const domains =
          loaded ?? (await ctx.db.identityProviderDomain.findMany({ where: { identityProviderId: p.id }, select: { domain: true }, orderBy: { domain: "asc" } }));
        return {
          enabled: p.signInEnabled,
          clientId: p.signInClientId,
          clientSecretSet: p.signInClientSecret !== null,
          emailDomains: domains.map((d) => d.domain),
          jitRole: p.signInJitRole as JitRole | null,
        };
      },
    }),
    organizationId: t.id({ resolve: (p) => publicId("Organization", p.organizationId) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const providerFields = {
  name: "Unique within the organization.",
  issuer: "The iss its tokens carry; https (http only on loopback).",
  jwksUri: "Where its keys are; omit to discover them from the issuer's metadata.",
  audience: "The aud its tokens must carry.",
} as const;

const SignInInputType = builder.inputType("IdentityProviderSignInInput", {
  description: "Sign-in through the provider. On update, an omitted clientSecret or emailDomains keeps the stored one.",
  fields: (t) => ({
    enabled: t.boolean({ required: true }),
    clientId: t.string({ description: "This server's client_id at the provider." }),
    clientSecret: t.string({ description: "Write-only: stored sealed, never returned." }),
    emailDomains: t.stringList({ description: "Email domains sent to this provider from the sign-in page; each belongs to one provider only." }),
    jitRole: t.field({ type: MemberRoleEnum, description: "Lets an unknown person join the organization with this role; omit to refuse them." }),
  }),
});

function signInOf(input: { enabled: boolean; clientId?: string | null; clientSecret?: string | null; emailDomains?: string[] | null; jitRole?: JitRole | null } | null | undefined): SignInInput | undefined {
  if (!input) return undefined;
  return {
    enabled: input.enabled,
    ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
    ...(input.clientSecret != null ? { clientSecret: input.clientSecret } : {}),
    ...(input.emailDomains != null ? { emailDomains: input.emailDomains } : {}),
    // An explicit null clears jitRole; omitted keeps it.
    ...(input.jitRole !== undefined ? { jitRole: input.jitRole } : {}),
  };
}

const RegisterInput = builder.inputType("RegisterIdentityProviderInput", {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    name: t.string({ required: true, description: providerFields.name }),
    issuer: t.string({ required: true, description: providerFields.issuer }),
    jwksUri: t.string({ description: providerFields.jwksUri }),
    audience: t.string({ required: true, description: providerFields.audience }),
    subjectMapping: t.field({ type: SubjectMappingEnum, required: true }),
    clockSkewSeconds: t.int({ description: "0-300; 60 by default." }),
    signIn: t.field({ type: SignInInputType }),
  }),
});

const UpdateInput = builder.inputType("UpdateIdentityProviderInput", {
  description: "Omitted fields keep their value; jwksUri null goes back to discovery.",
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string({ description: providerFields.name }),
    issuer: t.string({ description: providerFields.issuer }),
    jwksUri: t.string({ description: providerFields.jwksUri }),
    audience: t.string({ description: providerFields.audience }),
    subjectMapping: t.field({ type: SubjectMappingEnum }),
    clockSkewSeconds: t.int({ description: "0-300." }),
    signIn: t.field({ type: SignInInputType }),
  }),
});

const RemoveInput = builder.inputType("RemoveIdentityProviderInput", { fields: (t) => ({ id: t.id({ required: true }) }) });

const LinkInput = builder.inputType("LinkExternalIdentityInput", {
  fields: (t) => ({
    identityProviderId: t.id({ required: true }),
    subject: t.string({ required: true, description: "The sub the provider's tokens carry for this person." }),
    userId: t.id({ required: true, description: "The person's usr_ id; a member of the provider's organization." }),
  }),
});

function providerSuccess(name: string) {
  return builder.objectRef<{ providerId: string }>(name).implement({
    fields: (t) => ({
      identityProvider: t.prismaField({
        type: IdentityProvider,
        resolve: (query, parent, _args, ctx) => ctx.db.identityProvider.findUniqueOrThrow({ ...query, where: { id: parent.providerId } }),
      }),
    }),
  });
}

const RemoveSuccess = builder.objectRef<{ removedId: string }>("RemoveIdentityProviderSuccess").implement({
  fields: (t) => ({ removedId: t.exposeID("removedId", { description: "The id the identity provider had." }) }),
});

const LinkSuccess = builder.objectRef<{ providerId: string; subject: string; userId: string }>("LinkExternalIdentitySuccess").implement({
  fields: (t) => ({
    identityProvider: t.prismaField({
      type: IdentityProvider,
      resolve: (query, parent, _args, ctx) => ctx.db.identityProvider.findUniqueOrThrow({ ...query, where: { id: parent.providerId } }),
    }),
    subject: t.exposeString("subject"),
    userId: t.exposeID("userId"),
  }),
});

const errorsFor = (name: string) => ({ types: MUTATION_ERRORS, directResult: true as const, union: { name: `${name}Result` } });

function providerId(globalId: string | number): string {
  const id = idOf(String(globalId), "IdentityProvider");
  if (!id) throw new NotFoundError("identity provider");
  return id;
}

const optional = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

builder.queryFields((t) => ({
  identityProviders: t.prismaField({
    type: [IdentityProvider],
    description: "The identity providers of an organization the caller administers, or of all of them; another organization's are not listed.",
    args: { organizationId: t.arg.id() },
    resolve: (_query, _root, args, ctx) => {
      const organizationId = args.organizationId == null ? null : (idOf(String(args.organizationId), "Organization") ?? "");
      if (organizationId === "") return [];
      return ctx.services.identityProviders.list(ctx.principal, organizationId);
    },
  }),
}));

builder.mutationFields((t) => ({
  registerIdentityProvider: t.field({
    type: providerSuccess("RegisterIdentityProviderSuccess"),
    errors: errorsFor("RegisterIdentityProvider"),
    args: { input: t.arg({ type: RegisterInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const organizationId = idOf(String(input.organizationId), "Organization");
      if (!organizationId) throw new ValidationError([{ path: ["organizationId"], code: "organization_not_found", message: "no organization with that id" }]);
      const row = await ctx.services.identityProviders.register(ctx.principal, organizationId, {
        name: input.name,
        issuer: input.issuer,
        jwksUri: input.jwksUri ?? null,
        audience: input.audience,
        subjectMapping: input.subjectMapping,
        clockSkewSeconds: optional(input.clockSkewSeconds),
        signIn: signInOf(input.signIn),
      });
      return { providerId: row.id };
    },
  }),
  updateIdentityProvider: t.field({
    type: providerSuccess("UpdateIdentityProviderSuccess"),
    errors: errorsFor("UpdateIdentityProvider"),
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const row = await ctx.services.identityProviders.update(ctx.principal, providerId(input.id), {
        name: optional(input.name),
        issuer: optional(input.issuer),
        // null is meaningful here: back to discovery.
        jwksUri: input.jwksUri,
        audience: optional(input.audience),
        subjectMapping: optional(input.subjectMapping),
        clockSkewSeconds: optional(input.clockSkewSeconds),
        signIn: signInOf(input.signIn),
      });
      return { providerId: row.id };
    },
  }),
  removeIdentityProvider: t.field({
    type: RemoveSuccess,
    errors: errorsFor("RemoveIdentityProvider"),
    args: { input: t.arg({ type: RemoveInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const row = await ctx.services.identityProviders.remove(ctx.principal, providerId(input.id));
      return { removedId: publicId("IdentityProvider", row.id) };
    },
  }),
  linkExternalIdentity: t.field({
    type: LinkSuccess,
    errors: errorsFor("LinkExternalIdentity"),
    args: { input: t.arg({ type: LinkInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const userId = idOf(String(input.userId), "User");
      const row = await ctx.services.identityProviders.link(ctx.principal, providerId(input.identityProviderId), input.subject, userId);
      return { providerId: row.id, subject: input.subject, userId: publicId("User", userId!) };
    },
  }),
}));
