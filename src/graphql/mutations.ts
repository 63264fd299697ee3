// Changes to the registry. Each returns a union of its Success type and typed errors; the
// rules themselves live in src/applications and are shared with the CLI and OAuth endpoints.
import { NotFoundError, ValidationError } from "../applications/errors.ts";
import type { ApplicationInput } from "../applications/rules.ts";
import { builder } from "./builder.ts";
import { ApplicationTypeEnum, ClientSecret, ConnectApplication, PlatformEnum } from "./applications.ts";
import { PermissionKindEnum } from "./catalog.ts";
import { MUTATION_ERRORS } from "./errors.ts";
import { idOf } from "./ids.ts";

const RedirectUriInput = builder.inputType("RedirectUriInput", {
  description: "When none is marked default, the first is.",
  fields: (t) => ({ uri: t.string({ required: true }), default: t.boolean() }),
});

const TokenExchangeInput = builder.inputType("TokenExchangeInput", {
  fields: (t) => ({
    enabled: t.boolean(),
    accessTokenTtlSeconds: t.int({ description: "60-86400; default 3600." }),
  }),
});


const CreateInput = builder.inputType("CreateConnectApplicationInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    applicationType: t.field({ type: ApplicationTypeEnum, required: true }),
    description: t.string(),
    scopes: t.stringList({ description: "Initial grants, checked as grantScopes with the default kind." }),
    redirectUris: t.field({ type: [RedirectUriInput] }),
    postLogoutRedirectUris: t.stringList(),
    usesPkce: t.boolean(),
    isFirstParty: t.boolean({ description: "Required for OAUTH applications." }),
    organizationId: t.id({ description: "Required for M2M, and for OAUTH applications that are not first-party." }),
    platform: t.field({ type: PlatformEnum, description: "OAUTH only; WEB by default." }),
    clientCode: t.string(),
    logoUri: t.string(),
    termsOfServiceUri: t.string(),
    privacyPolicyUri: t.string(),
    onBehalfOfEnabled: t.boolean(),
    tokenExchange: t.field({ type: TokenExchangeInput }),
  }),
});

const UpdateInput = builder.inputType("UpdateConnectApplicationInput", {
  description: "Omitted fields keep their value; applicationType, platform and organization are fixed at creation.",
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    description: t.string(),
    redirectUris: t.field({ type: [RedirectUriInput] }),
    postLogoutRedirectUris: t.stringList(),
    usesPkce: t.boolean(),
    isFirstParty: t.boolean(),
    clientCode: t.string(),
    logoUri: t.string(),
    termsOfServiceUri: t.string(),
    privacyPolicyUri: t.string(),
    onBehalfOfEnabled: t.boolean(),
    tokenExchange: t.field({ type: TokenExchangeInput }),
    onBehalfOfNamedSubjects: t.boolean({ description: "On-behalf-of by a member's email or usr_ id, without their token; needs onBehalfOfEnabled. Off by default." }),
  }),
});

const IdInput = (name: string) => builder.inputType(name, { fields: (t) => ({ id: t.id({ required: true }) }) });

const AddClientSecretInput = builder.inputType("AddClientSecretInput", {
  fields: (t) => ({
    applicationId: t.id({ required: true }),
    description: t.string(),
    expiresInDays: t.int({ description: "1-730; never expires when omitted." }),
  }),
});

const ScopesInput = (name: string) =>
  builder.inputType(name, {
    fields: (t) => ({
      applicationId: t.id({ required: true }),
      scopes: t.stringList({ required: true }),
      kind: t.field({ type: PermissionKindEnum, description: "APPLICATION for M2M apps, DELEGATED for OAUTH apps by default." }),
    }),
  });

/** A success type whose `application` is loaded with the query's own Prisma selection. */
function applicationSuccess(name: string) {
  return builder.objectRef<{ applicationId: string }>(name).implement({
    fields: (t) => ({
      application: t.prismaField({
        type: ConnectApplication,
        resolve: (query, parent, _args, ctx) =>
          ctx.db.connectApplication.findUniqueOrThrow({ ...query, where: { id: parent.applicationId } }),
      }),
    }),
  });
}

const AddClientSecretSuccess = builder.objectRef<{ secretId: string; plaintext: string }>("AddClientSecretSuccess").implement({
  fields: (t) => ({
    clientSecret: t.prismaField({
      type: ClientSecret,
      resolve: (query, parent, _args, ctx) => ctx.db.clientSecret.findUniqueOrThrow({ ...query, where: { id: parent.secretId } }),
    }),
    plaintext: t.exposeString("plaintext", { description: "The secret itself. Shown this once; only a hash is kept." }),
  }),
});

const RevokeClientSecretSuccess = builder.objectRef<{ secretId: string }>("RevokeClientSecretSuccess").implement({
  fields: (t) => ({
    clientSecret: t.prismaField({
      type: ClientSecret,
      resolve: (query, parent, _args, ctx) => ctx.db.clientSecret.findUniqueOrThrow({ ...query, where: { id: parent.secretId } }),
    }),
  }),
});

const DeleteSuccess = builder.objectRef<{ deletedId: string; clientId: string }>("DeleteConnectApplicationSuccess").implement({
  fields: (t) => ({
    deletedId: t.exposeID("deletedId", { description: "The global id the application had." }),
    clientId: t.exposeString("clientId"),
  }),
});

const errorsFor = (name: string) => ({
  types: MUTATION_ERRORS,
  directResult: true as const,
  union: { name: `${name}Result` },
});

function applicationId(globalId: string | number): string {
  const id = idOf(String(globalId), "ConnectApplication");
  if (!id) throw new NotFoundError();
  return id;
}

/** organizationId is a global id; anything else is a broken rule on that field. */
function organizationId(globalId: string | number | null | undefined): string | null | undefined {
  if (globalId === undefined) return undefined;
  if (globalId === null) return null;
  const id = idOf(String(globalId), "Organization");
  if (!id) throw new ValidationError([{ path: ["organizationId"], message: "no organization with that id" }]);
  return id;
}

builder.mutationFields((t) => ({
  createConnectApplication: t.field({
    type: applicationSuccess("CreateConnectApplicationSuccess"),
    errors: errorsFor("CreateConnectApplication"),
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const app = await ctx.services.applications.create(ctx.principal, {
        ...(input as ApplicationInput),
        organizationId: organizationId(input.organizationId),
        scopes: input.scopes ?? null,
      });
      return { applicationId: app.id };
    },
  }),
  updateConnectApplication: t.field({
    type: applicationSuccess("UpdateConnectApplicationSuccess"),
    errors: errorsFor("UpdateConnectApplication"),
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { id, ...changes } = input;
      const app = await ctx.services.applications.update(ctx.principal, applicationId(id), changes as ApplicationInput);
      return { applicationId: app.id };
    },
  }),
  deleteConnectApplication: t.field({
    type: DeleteSuccess,
    errors: errorsFor("DeleteConnectApplication"),
    args: { input: t.arg({ type: IdInput("DeleteConnectApplicationInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const app = await ctx.services.applications.delete(ctx.principal, applicationId(input.id));
      return { deletedId: String(input.id), clientId: app.clientId };
    },
  }),
  addClientSecret: t.field({
    type: AddClientSecretSuccess,
    errors: errorsFor("AddClientSecret"),
    args: { input: t.arg({ type: AddClientSecretInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { secret, plaintext } = await ctx.services.applications.addSecret(ctx.principal, applicationId(input.applicationId), {
        description: input.description ?? null,
        expiresInDays: input.expiresInDays ?? null,
      });
      return { secretId: secret.id, plaintext };
    },
  }),
  revokeClientSecret: t.field({
    type: RevokeClientSecretSuccess,
    errors: errorsFor("RevokeClientSecret"),
    args: { input: t.arg({ type: IdInput("RevokeClientSecretInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const id = idOf(String(input.id), "ClientSecret");
      if (!id) throw new NotFoundError("client secret");
      const secret = await ctx.services.applications.revokeSecret(ctx.principal, id);
      return { secretId: secret.id };
    },
  }),
  grantScopes: t.field({
    type: applicationSuccess("GrantScopesSuccess"),
    errors: errorsFor("GrantScopes"),
    args: { input: t.arg({ type: ScopesInput("GrantScopesInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const app = await ctx.services.applications.grantScopes(ctx.principal, applicationId(input.applicationId), input.scopes, input.kind);
      return { applicationId: app.id };
    },
  }),
  revokeScopes: t.field({
    type: applicationSuccess("RevokeScopesSuccess"),
    errors: errorsFor("RevokeScopes"),
    args: { input: t.arg({ type: ScopesInput("RevokeScopesInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const app = await ctx.services.applications.revokeScopes(ctx.principal, applicationId(input.applicationId), input.scopes, input.kind);
      return { applicationId: app.id };
    },
  }),
}));
