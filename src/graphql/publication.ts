// Publication over GraphQL: requests, decisions, unpublishing, and on ConnectApplication its
// readiness, approved revision and requests. The rules are in src/applications/publication.ts
// and publication-service.ts; this module only translates ids and shapes.
import { NotFoundError } from "../errors.ts";
import { PUBLICATION_STATUSES, type PublicationOrigin, type PublicationStatus } from "../applications/publication.ts";
import { visiblePublicationRequestsWhere } from "../applications/publication-service.ts";
import { changesBetween, parseRevision, revisionDigest, type Revision, type RevisionChange } from "../applications/revision.ts";
import type { FieldError } from "../applications/rules.ts";
import { builder } from "./builder.ts";
import { ConnectApplication } from "./applications.ts";
import { FieldErrorRef, MUTATION_ERRORS } from "./errors.ts";
import { idOf } from "./ids.ts";

export const PublicationStatusEnum = builder.enumType("PublicationStatus", {
  description: "PENDING until an operator ADMIN approves or rejects it, or its organization withdraws it.",
  values: PUBLICATION_STATUSES,
});

export const PublicationOriginEnum = builder.enumType("PublicationOrigin", {
  description: "REQUESTED by an ADMIN (requestPublication), or opened by a CRITICAL_CHANGE to a PUBLIC application.",
  values: ["REQUESTED", "CRITICAL_CHANGE"] as const,
});

const PublicationChangeRef = builder.objectRef<RevisionChange>("PublicationChange").implement({
  description: "One critical field under review, as lists of strings (a single value is a list of one; a switch is \"true\" or \"false\").",
  fields: (t) => ({
    field: t.exposeString("field", {
      description: "name, logoUri, redirectUris, delegatedScopes, onBehalfOfEnabled or tokenExchange.enabled.",
    }),
    approved: t.exposeStringList("approved", { nullable: true, description: "The approved revision's value; null for a first publication." }),
    proposed: t.exposeStringList("proposed"),
    added: t.exposeStringList("added"),
    removed: t.exposeStringList("removed"),
  }),
});

export const PublicationRevisionRef = builder.objectRef<Revision>("PublicationRevision").implement({
  description: "An application's critical fields: what a review approves, and what people outside its organization get while it is PUBLIC.",
  fields: (t) => ({
    name: t.exposeString("name"),
    logoUri: t.exposeString("logoUri", { nullable: true }),
    redirectUris: t.exposeStringList("redirectUris", { description: "The default first." }),
    delegatedScopes: t.exposeStringList("delegatedScopes"),
    onBehalfOfEnabled: t.exposeBoolean("onBehalfOfEnabled"),
    tokenExchangeEnabled: t.exposeBoolean("tokenExchangeEnabled"),
  }),
});

const PublicationReadinessRef = builder.objectRef<{ missing: FieldError[] }>("PublicationReadiness").implement({
  description: "Whether requestPublication would accept the application now, and if not, everything it lacks.",
  fields: (t) => ({
    ready: t.boolean({ resolve: (r) => r.missing.length === 0 }),
    missing: t.field({ type: [FieldErrorRef], resolve: (r) => r.missing }),
  }),
});

export const PublicationRequest = builder.prismaNode("PublicationRequest", {
  id: { field: "id" },
  nullable: true,
  authScopes: { readRegistry: true },
  description: "A request to publish an application, or to approve a change to a published one.",
  findUnique: (id, ctx) => {
    return { id, AND: [visiblePublicationRequestsWhere(ctx.principal)] } as never;
  },
  fields: (t) => ({
    status: t.field({ type: PublicationStatusEnum, resolve: (r) => r.status as PublicationStatus }),
    origin: t.field({ type: PublicationOriginEnum, resolve: (r) => r.origin as PublicationOrigin }),
    notes: t.exposeString("notes", { nullable: true, description: "From the organization, for the reviewers." }),
    reason: t.exposeString("reason", { nullable: true, description: "Why it was rejected (or withdrawn by the server)." }),
    // The reviewers are not members of the app's organization: the request shows them the app.
    application: t.relation("application"),
    requestedBy: t.exposeString("requestedBy", { nullable: true, description: "A person's usr_ id or an application's clientId; null when opened by a change." }),
    decidedBy: t.exposeString("decidedBy", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    decidedAt: t.expose("decidedAt", { type: "DateTime", nullable: true }),
    changes: t.field({
      type: [PublicationChangeRef],
      description: "The diff under review: each critical field that differs from the approved revision (every field for a first publication).",
      select: { baseline: true, proposed: true },
      resolve: (r) => {
        const proposed = parseRevision(r.proposed);
        return proposed ? changesBetween(parseRevision(r.baseline), proposed) : [];
      },
    }),
    revisionDigest: t.string({
      nullable: true,
      select: { proposed: true },
      description: "A fingerprint of proposedRevision: pass it to approvePublication so that a change made after you looked is not approved unseen.",
      resolve: (r) => (r.proposed ? revisionDigest(r.proposed) : null),
    }),
    proposedRevision: t.field({
      type: PublicationRevisionRef,
      nullable: true,
      select: { proposed: true },
      description: "The critical fields under review (while PENDING, the application's current ones).",
      resolve: (r) => parseRevision(r.proposed),
    }),
  }),
});

builder.prismaObjectFields(ConnectApplication, (t) => ({
  publicationRequest: t.prismaField({
    type: PublicationRequest,
    nullable: true,
    description: "The latest publication request, or null.",
    resolve: (query, app, _args, ctx) =>
      ctx.db.publicationRequest.findFirst({ ...query, where: { applicationId: app.id }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
  }),
  publicationRequests: t.relation("publicationRequests", {
    description: "Every publication request, newest first.",
    query: { orderBy: [{ createdAt: "desc" }, { id: "desc" }] },
  }),
  publicationReadiness: t.field({
    type: PublicationReadinessRef,
    resolve: async (app, _args, ctx) => ({ missing: await ctx.services.publication.readiness(app.id) }),
  }),
  approvedRevision: t.field({
    type: PublicationRevisionRef,
    nullable: true,
    description: "What people outside the organization get while the application is PUBLIC; null when it is not.",
    select: { approvedRevision: true, visibility: true },
    resolve: (app) => (app.visibility === "PUBLIC" ? parseRevision(app.approvedRevision) : null),
  }),
}));

builder.queryFields((t) => ({
  publicationRequests: t.prismaField({
    authScopes: { readRegistry: true },
    type: [PublicationRequest],
    description: "Operator ADMINs: every organization's requests; others: their own organizations'. Newest first.",
    args: { status: t.arg({ type: PublicationStatusEnum }), applicationId: t.arg.id() },
    resolve: (query, _root, args, ctx) => {
      const where: object[] = [visiblePublicationRequestsWhere(ctx.principal)];
      if (args.status) where.push({ status: args.status });
      if (args.applicationId != null) where.push({ applicationId: idOf(String(args.applicationId), "ConnectApplication") ?? "" });
      return ctx.db.publicationRequest.findMany({ ...query, where: { AND: where }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 500 });
    },
  }),
}));

const errorsFor = (name: string) => ({ types: MUTATION_ERRORS, directResult: true as const, union: { name: `${name}Result` } });

function applicationIdOf(value: string | number): string {
  const id = idOf(String(value), "ConnectApplication");
  if (!id) throw new NotFoundError();
  return id;
}

function requestIdOf(value: string | number): string {
  const id = idOf(String(value), "PublicationRequest");
  if (!id) throw new NotFoundError("publication request");
  return id;
}

/** Each Success carries the request, loaded with the query's own selection. */
function requestSuccess(name: string, withApplication = false) {
  return builder.objectRef<{ requestId: string; applicationId: string }>(name).implement({
    fields: (t) => ({
      publicationRequest: t.prismaField({
        type: PublicationRequest,
        resolve: (query, parent, _args, ctx) => ctx.db.publicationRequest.findUniqueOrThrow({ ...query, where: { id: parent.requestId } }),
      }),
      ...(withApplication
        ? {
            application: t.prismaField({
              type: ConnectApplication,
              resolve: (query, parent, _args, ctx) => ctx.db.connectApplication.findUniqueOrThrow({ ...query, where: { id: parent.applicationId } }),
            }),
          }
        : {}),
    }),
  });
}

const RequestPublicationInput = builder.inputType("RequestPublicationInput", {
  fields: (t) => ({
    applicationId: t.id({ required: true }),
    notes: t.string({ description: "For the reviewers; at most 2000 characters." }),
  }),
});
const RequestIdInput = (name: string) => builder.inputType(name, { fields: (t) => ({ requestId: t.id({ required: true }) }) });
const ApprovePublicationInput = builder.inputType("ApprovePublicationInput", {
  fields: (t) => ({
    requestId: t.id({ required: true }),
    revisionDigest: t.string({
      required: false,
      description: "The request's revisionDigest as the reviewer saw it; if the critical fields changed since, the approval is refused (publication_changed_since_review).",
    }),
  }),
});
const RejectPublicationInput = builder.inputType("RejectPublicationInput", {
  fields: (t) => ({
    requestId: t.id({ required: true }),
    reason: t.string({ required: true, description: "Shown to the organization; at most 2000 characters." }),
  }),
});
const UnpublishApplicationInput = builder.inputType("UnpublishApplicationInput", {
  fields: (t) => ({ applicationId: t.id({ required: true }) }),
});

async function requestResult(ctx: { db: import("../db/client.ts").Db }, requestId: string) {
  const row = await ctx.db.publicationRequest.findUniqueOrThrow({ where: { id: requestId }, select: { id: true, applicationId: true } });
  return { requestId: row.id, applicationId: row.applicationId };
}

builder.mutationFields((t) => ({
  requestPublication: t.field({
    authScopes: { manageRegistry: true },
    type: requestSuccess("RequestPublicationSuccess"),
    errors: errorsFor("RequestPublication"),
    description: "Asks the operator to make the application PUBLIC; a ValidationError lists everything missing.",
    args: { input: t.arg({ type: RequestPublicationInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const created = await ctx.services.publication.request(ctx.principal, applicationIdOf(input.applicationId), input.notes);
      return { requestId: created.id, applicationId: created.applicationId };
    },
  }),
  approvePublication: t.field({
    authScopes: { manageRegistry: true },
    type: requestSuccess("ApprovePublicationSuccess"),
    errors: errorsFor("ApprovePublication"),
    description: "Operator ADMINs: the application becomes PUBLIC with its current critical fields as the approved revision.",
    args: { input: t.arg({ type: ApprovePublicationInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      requestResult(ctx, await ctx.services.publication.approve(ctx.principal, requestIdOf(input.requestId), input.revisionDigest)),
  }),
  rejectPublication: t.field({
    authScopes: { manageRegistry: true },
    type: requestSuccess("RejectPublicationSuccess"),
    errors: errorsFor("RejectPublication"),
    description: "Operator ADMINs: the application keeps its visibility (and a PUBLIC one its approved revision).",
    args: { input: t.arg({ type: RejectPublicationInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      requestResult(ctx, await ctx.services.publication.reject(ctx.principal, requestIdOf(input.requestId), input.reason)),
  }),
  withdrawPublication: t.field({
    authScopes: { manageRegistry: true },
    type: requestSuccess("WithdrawPublicationSuccess"),
    errors: errorsFor("WithdrawPublication"),
    description: "The application's organization takes back a pending request.",
    args: { input: t.arg({ type: RequestIdInput("WithdrawPublicationInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => requestResult(ctx, await ctx.services.publication.withdraw(ctx.principal, requestIdOf(input.requestId))),
  }),
  unpublishApplication: t.field({
    authScopes: { manageRegistry: true },
    type: requestSuccess("UnpublishApplicationSuccess", true),
    errors: errorsFor("UnpublishApplication"),
    description: "Back to PRIVATE: people outside the organization lose their consents and refresh tokens for it.",
    args: { input: t.arg({ type: UnpublishApplicationInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const latest = await ctx.services.publication.unpublish(ctx.principal, applicationIdOf(input.applicationId));
      return { requestId: latest.id, applicationId: latest.applicationId };
    },
  }),
}));
