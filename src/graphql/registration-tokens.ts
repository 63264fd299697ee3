// Initial access tokens for dynamic client registration (RFC 7591 §3) as GraphQL: an
// organization's ADMINs create, list and revoke them. The rules are in
// src/applications/registration-tokens.ts; registration itself is at POST /oauth/register.
import { NotFoundError } from "../errors.ts";
import { publicId } from "../ids.ts";
import { builder } from "./builder.ts";
import { Organization } from "./applications.ts";
import { MUTATION_ERRORS } from "./errors.ts";
import { idOf } from "./ids.ts";

export const RegistrationToken = builder.prismaObject("RegistrationToken", {
  description: "An initial access token for POST /oauth/register. Its plaintext is shown once, by createRegistrationToken.",
  fields: (t) => ({
    id: t.id({ resolve: (r) => publicId("RegistrationToken", r.id) }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    maxUses: t.exposeInt("maxUses", { description: "How many applications it may register." }),
    usesLeft: t.exposeInt("usesLeft"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdBy: t.exposeString("createdBy", { nullable: true, description: "The usr_ id or client id that created it." }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    active: t.boolean({ resolve: (r) => r.revokedAt === null && r.usesLeft > 0 && r.expiresAt.getTime() > Date.now() }),
  }),
});

// Organizations are visible only to their ADMINs, so their tokens are too.
builder.prismaObjectField(Organization, "registrationTokens", (t) =>
  t.relation("registrationTokens", { query: { orderBy: { createdAt: "desc" } } }),
);

const CreateInput = builder.inputType("CreateRegistrationTokenInput", {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    expiresInDays: t.int({ description: "1-365; 7 when omitted." }),
    maxUses: t.int({ description: "How many applications it may register, 1-1000; 1 when omitted." }),
  }),
});

const RevokeInput = builder.inputType("RevokeRegistrationTokenInput", { fields: (t) => ({ id: t.id({ required: true }) }) });

const CreateSuccess = builder.objectRef<{ tokenId: string; plaintext: string }>("CreateRegistrationTokenSuccess").implement({
  fields: (t) => ({
    plaintext: t.exposeString("plaintext", {
      description: "The initial access token, sent as `Authorization: Bearer` to POST /oauth/register. Shown this once; only a hash is kept.",
    }),
    registrationToken: t.prismaField({
      type: RegistrationToken,
      resolve: (query, parent, _args, ctx) => ctx.db.registrationToken.findUniqueOrThrow({ ...query, where: { id: parent.tokenId } }),
    }),
  }),
});

const RevokeSuccess = builder.objectRef<{ tokenId: string }>("RevokeRegistrationTokenSuccess").implement({
  fields: (t) => ({
    registrationToken: t.prismaField({
      type: RegistrationToken,
      resolve: (query, parent, _args, ctx) => ctx.db.registrationToken.findUniqueOrThrow({ ...query, where: { id: parent.tokenId } }),
    }),
  }),
});

const errorsFor = (name: string) => ({ types: MUTATION_ERRORS, directResult: true as const, union: { name: `${name}Result` } });

builder.mutationFields((t) => ({
  createRegistrationToken: t.field({
    authScopes: { manageRegistry: true },
    type: CreateSuccess,
    errors: errorsFor("CreateRegistrationToken"),
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const organizationId = idOf(String(input.organizationId), "Organization");
      if (!organizationId) throw new NotFoundError("organization");
      const { token, plaintext } = await ctx.services.registrationTokens.create(ctx.principal, organizationId, {
        expiresInDays: input.expiresInDays ?? null,
        maxUses: input.maxUses ?? null,
      });
      return { tokenId: token.id, plaintext };
    },
  }),
  revokeRegistrationToken: t.field({
    authScopes: { manageRegistry: true },
    type: RevokeSuccess,
    errors: errorsFor("RevokeRegistrationToken"),
    args: { input: t.arg({ type: RevokeInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const id = idOf(String(input.id), "RegistrationToken");
      if (!id) throw new NotFoundError("registration token");
      const token = await ctx.services.registrationTokens.revoke(ctx.principal, id);
      return { tokenId: token.id };
    },
  }),
}));
