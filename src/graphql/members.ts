// Members of an organization over GraphQL: invitations, roles, removal and password-reset
// links. Each mutation returns its Success type or a typed error; the rules are in
// src/applications/members.ts.
import { NotFoundError, ValidationError } from "../errors.ts";
import { builder } from "./builder.ts";
import { MemberRoleEnum, Organization } from "./applications.ts";
import { MUTATION_ERRORS } from "./errors.ts";
import { idOf } from "./ids.ts";

const errorsFor = (name: string) => ({ types: MUTATION_ERRORS, directResult: true as const, union: { name: `${name}Result` } });

/** An organization the caller names: a malformed id reads as one that does not exist. */
function organizationIdOf(value: string | number): string {
  const id = idOf(String(value), "Organization");
  if (!id) throw new NotFoundError("organization");
  return id;
}

function userIdOf(value: string | number): string {
  const id = idOf(String(value), "User");
  if (!id) throw new ValidationError([{ path: ["userId"], code: "member_not_found", message: "no member with that id" }]);
  return id;
}

const InviteMemberInput = builder.inputType("InviteMemberInput", {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    email: t.string({ required: true }),
    role: t.field({ type: MemberRoleEnum, required: true }),
  }),
});

const MemberRefInput = (name: string) =>
  builder.inputType(name, {
    fields: (t) => ({ organizationId: t.id({ required: true }), userId: t.id({ required: true }) }),
  });

const UpdateMemberRoleInput = builder.inputType("UpdateMemberRoleInput", {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    userId: t.id({ required: true }),
    role: t.field({ type: MemberRoleEnum, required: true }),
  }),
});

const InviteMemberSuccess = builder.objectRef<{ invitationUrl: string }>("InviteMemberSuccess").implement({
  fields: (t) => ({
    invitationUrl: t.exposeString("invitationUrl", {
      description: "A one-time sign-up link for the invited person, valid for 7 days. Shown this once; only a hash is kept.",
    }),
  }),
});

const MemberChangeSuccess = (name: string) =>
  builder.objectRef<{ userId: string; organizationId: string }>(name).implement({
    fields: (t) => ({
      userId: t.id({ resolve: (r) => r.userId }),
      organizationId: t.id({ resolve: (r) => r.organizationId }),
    }),
  });

const PasswordResetLinkSuccess = builder.objectRef<{ resetUrl: string }>("CreatePasswordResetLinkSuccess").implement({
  fields: (t) => ({
    resetUrl: t.exposeString("resetUrl", { description: "A one-time link to choose a new password, valid for 24 hours." }),
  }),
});

const CreateOrganizationInput = builder.inputType("CreateOrganizationInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    adminEmail: t.string({ required: true, description: "The first ADMIN: invited with a one-time link (mailed when SMTP_URL is set)." }),
  }),
});

const CreateOrganizationSuccess = builder
  .objectRef<{ organization: { id: string; name: string; isOperator: boolean; createdAt: Date }; invitationUrl: string }>("CreateOrganizationSuccess")
  .implement({
    fields: (t) => ({
      organization: t.field({ type: Organization, resolve: (r) => r.organization as never }),
      invitationUrl: t.exposeString("invitationUrl", {
        description: "The first ADMIN's one-time sign-up link, valid for 7 days. Shown this once; only a hash is kept.",
      }),
    }),
  });

const UpdateOrganizationInput = builder.inputType("UpdateOrganizationInput", {
  description: "Omitted fields keep their value.",
  fields: (t) => ({
    id: t.id({ required: true }),
    requireMfa: t.boolean({ required: false, description: "Ask every member for a second factor (an authenticator app or a passkey) from their next sign-in." }),
  }),
});

const UpdateOrganizationSuccess = builder.objectRef<{ organization: { id: string } }>("UpdateOrganizationSuccess").implement({
  fields: (t) => ({ organization: t.field({ type: Organization, resolve: (r) => r.organization as never }) }),
});

builder.mutationFields((t) => ({
  updateOrganization: t.field({
    type: UpdateOrganizationSuccess,
    errors: errorsFor("UpdateOrganization"),
    description: "ADMINs of the organization: its settings (requireMfa).",
    args: { input: t.arg({ type: UpdateOrganizationInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      organization: await ctx.services.members.updateOrganization(ctx.principal, organizationIdOf(input.id), { requireMfa: input.requireMfa ?? null }),
    }),
  }),
  createOrganization: t.field({
    type: CreateOrganizationSuccess,
    errors: errorsFor("CreateOrganization"),
    description: "Operator ADMINs only: a new organization, and an invitation for its first ADMIN.",
    args: { input: t.arg({ type: CreateOrganizationInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.members.createOrganization(ctx.principal, { name: input.name, adminEmail: input.adminEmail }),
  }),
  inviteMember: t.field({
    type: InviteMemberSuccess,
    errors: errorsFor("InviteMember"),
    args: { input: t.arg({ type: InviteMemberInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.members.invite(ctx.principal, organizationIdOf(input.organizationId), { email: input.email, role: input.role }),
  }),
  updateMemberRole: t.field({
    type: MemberChangeSuccess("UpdateMemberRoleSuccess"),
    errors: errorsFor("UpdateMemberRole"),
    args: { input: t.arg({ type: UpdateMemberRoleInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await ctx.services.members.updateRole(ctx.principal, organizationIdOf(input.organizationId), userIdOf(input.userId), input.role);
      return { userId: String(input.userId), organizationId: String(input.organizationId) };
    },
  }),
  removeMember: t.field({
    type: MemberChangeSuccess("RemoveMemberSuccess"),
    errors: errorsFor("RemoveMember"),
    args: { input: t.arg({ type: MemberRefInput("RemoveMemberInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await ctx.services.members.remove(ctx.principal, organizationIdOf(input.organizationId), userIdOf(input.userId));
      return { userId: String(input.userId), organizationId: String(input.organizationId) };
    },
  }),
  createPasswordResetLink: t.field({
    type: PasswordResetLinkSuccess,
    errors: errorsFor("CreatePasswordResetLink"),
    args: { input: t.arg({ type: MemberRefInput("CreatePasswordResetLinkInput"), required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.members.createPasswordResetLink(ctx.principal, organizationIdOf(input.organizationId), userIdOf(input.userId)),
  }),
}));
