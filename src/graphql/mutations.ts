// Changes to the registry. Each returns a union of its Success type and typed errors; the
// rules themselves live in src/applications and are shared with the CLI and OAuth endpoints.
import { NotFoundError, ValidationError } from "../errors.ts";
import { APPLICATION_FIELDS, type ApplicationInput } from "../applications/fields.ts";
import { builder } from "./builder.ts";
import { ApplicationTypeEnum, ClientSecret, ConnectApplication, PlatformEnum } from "./applications.ts";
import { PermissionKindEnum } from "./catalog.ts";
import { MUTATION_ERRORS } from "./errors.ts";
import type { Prisma } from "../db/client.ts";
import { idOf } from "./ids.ts";
import { ZodInputTypes } from "./zod-input.ts";

// Both inputs come from the one declaration of each field in src/applications/fields.ts.
const zodInputs = new ZodInputTypes({ ApplicationType: ApplicationTypeEnum, Platform: PlatformEnum });

const CreateInput = builder.inputRef<ApplicationInput>("CreateConnectApplicationInput").implement({
  fields: (t) => zodInputs.fields(t, APPLICATION_FIELDS, "create") as never,
});

const UpdateInput = builder.inputRef<ApplicationInput & { id: string }>("UpdateConnectApplicationInput").implement({
  description: "Omitted fields keep their value; applicationType, platform and organization are fixed at creation.",
  fields: (t) => ({ id: t.id({ required: true }), ...zodInputs.fields(t, APPLICATION_FIELDS, "update") }) as never,
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

type ConnectApplicationRow = Prisma.ConnectApplicationGetPayload<object>;
type ClientSecretRow = Prisma.ClientSecretGetPayload<object>;

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

/**
 * A success type that answers with the row the change just wrote, without reading it again.
 * A plain field (not a prismaField) plans no selection, so a relation the query asks for
 * (redirectUris, organization, ...) loads through plugin-prisma's fallback, one query per relation.
 */
function createdApplicationSuccess(name: string) {
  return builder.objectRef<{ application: ConnectApplicationRow }>(name).implement({
    fields: (t) => ({ application: t.field({ type: ConnectApplication, resolve: (parent) => parent.application }) }),
  });
}

const AddClientSecretSuccess = builder.objectRef<{ secret: ClientSecretRow; plaintext: string }>("AddClientSecretSuccess").implement({
  fields: (t) => ({
    clientSecret: t.field({ type: ClientSecret, resolve: (parent) => parent.secret }),
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
  if (!id) throw new ValidationError([{ path: ["organizationId"], code: "organization_not_found", message: "no organization with that id" }]);
  return id;
}

builder.mutationFields((t) => ({
  createConnectApplication: t.field({
    authScopes: { manageRegistry: true },
    type: createdApplicationSuccess("CreateConnectApplicationSuccess"),
    errors: errorsFor("CreateConnectApplication"),
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const app = await ctx.services.applications.create(ctx.principal, {
        ...input,
        organizationId: organizationId(input.organizationId),
      });
      return { application: app };
    },
  }),
  updateConnectApplication: t.field({
    authScopes: { manageRegistry: true },
    type: applicationSuccess("UpdateConnectApplicationSuccess"),
    errors: errorsFor("UpdateConnectApplication"),
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { id, ...changes } = input;
      const app = await ctx.services.applications.update(ctx.principal, applicationId(id), changes);
      return { applicationId: app.id };
    },
  }),
  deleteConnectApplication: t.field({
    authScopes: { manageRegistry: true },
    type: DeleteSuccess,
    errors: errorsFor("DeleteConnectApplication"),
    args: { input: t.arg({ type: IdInput("DeleteConnectApplicationInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const app = await ctx.services.applications.delete(ctx.principal, applicationId(input.id));
      return { deletedId: String(input.id), clientId: app.clientId };
    },
  }),
  addClientSecret: t.field({
    authScopes: { manageRegistry: true },
    type: AddClientSecretSuccess,
    errors: errorsFor("AddClientSecret"),
    args: { input: t.arg({ type: AddClientSecretInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { secret, plaintext } = await ctx.services.applications.addSecret(ctx.principal, applicationId(input.applicationId), {
        description: input.description ?? null,
        expiresInDays: input.expiresInDays ?? null,
      });
      return { secret, plaintext };
    },
  }),
  revokeClientSecret: t.field({
    authScopes: { manageRegistry: true },
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
    authScopes: { manageRegistry: true },
    type: applicationSuccess("GrantScopesSuccess"),
    errors: errorsFor("GrantScopes"),
    args: { input: t.arg({ type: ScopesInput("GrantScopesInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const app = await ctx.services.applications.grantScopes(ctx.principal, applicationId(input.applicationId), input.scopes, input.kind);
      return { applicationId: app.id };
    },
  }),
  revokeScopes: t.field({
    authScopes: { manageRegistry: true },
    type: applicationSuccess("RevokeScopesSuccess"),
    errors: errorsFor("RevokeScopes"),
    args: { input: t.arg({ type: ScopesInput("RevokeScopesInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const app = await ctx.services.applications.revokeScopes(ctx.principal, applicationId(input.applicationId), input.scopes, input.kind);
      return { applicationId: app.id };
    },
  }),
}));
