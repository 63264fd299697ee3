// Read access to the registry: everything filtered to what the principal may see.
import { administeredRowsWhere, visibleApplicationsWhere, visibleOrganizationsWhere } from "../access/policy.ts";
import { applicationSearchWhere } from "../applications/search.ts";
import { expiringSecretsWhere } from "../applications/secret-hygiene.ts";
import { builder } from "./builder.ts";
import { ApplicationTypeEnum, AuditEvent, ConnectApplication, Organization } from "./applications.ts";
import { idOf } from "./ids.ts";

const ApplicationFilter = builder.inputType("ApplicationFilter", {
  fields: (t) => ({
    secretExpiringWithinDays: t.int({ description: "Only applications with an active client secret that expires within this many days." }),
  }),
});

const AuditEventFilter = builder.inputType("AuditEventFilter", {
  description: "Every given condition must hold.",
  fields: (t) => ({
    organizationId: t.id(),
    applicationId: t.id({ description: "Events about the application itself, its secrets and its grants." }),
    actorId: t.string({ description: "A person's usr_ id or an application's clientId." }),
    action: t.string({ description: "e.g. application.created, client_secret.revoked, scopes.granted." }),
    since: t.field({ type: "DateTime", description: "Events at or after this time." }),
  }),
});

builder.queryFields((t) => ({
  application: t.prismaField({
    authScopes: { readRegistry: true },
    type: ConnectApplication,
    nullable: true,
    description: "One application by global id, clientId or clientCode; null when absent or not visible.",
    args: { id: t.arg.id(), clientId: t.arg.string(), clientCode: t.arg.string() },
    resolve: async (query, _root, args, ctx) => {
      const given = [args.id, args.clientId, args.clientCode].filter((v) => v != null);
      if (given.length !== 1) return null;
      const by = args.id != null
        ? { id: idOf(String(args.id), "ConnectApplication") ?? "" }
        : args.clientId != null
          ? { clientId: args.clientId }
          : { clientCode: args.clientCode! };
      return ctx.db.connectApplication.findFirst({ ...query, where: { AND: [by, visibleApplicationsWhere(ctx.principal)] } });
    },
  }),
  applications: t.prismaConnection({
    authScopes: { readRegistry: true },
    type: ConnectApplication,
    cursor: "id",
    defaultSize: 20,
    maxSize: 100,
    args: {
      organizationId: t.arg.id(),
      applicationType: t.arg({ type: ApplicationTypeEnum }),
      search: t.arg.string({ description: "Matches name, description, clientId or clientCode." }),
      filter: t.arg({ type: ApplicationFilter }),
    },
    resolve: async (query, _root, args, ctx) => {
      const filters: object[] = [visibleApplicationsWhere(ctx.principal)];
      if (args.organizationId != null) filters.push({ organizationId: idOf(String(args.organizationId), "Organization") ?? "" });
      if (args.applicationType) filters.push({ applicationType: args.applicationType });
      if (args.search) filters.push(await applicationSearchWhere(ctx.db, ctx.services.provider, args.search));
      if (args.filter?.secretExpiringWithinDays != null) {
        filters.push({ clientSecrets: { some: expiringSecretsWhere(args.filter.secretExpiringWithinDays) } });
      }
      return ctx.db.connectApplication.findMany({ ...query, where: { AND: filters } });
    },
  }),
  organization: t.prismaField({
    authScopes: { readRegistry: true },
    type: Organization,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = idOf(String(args.id), "Organization");
      if (!id) return null;
      return ctx.db.organization.findFirst({ ...query, where: { AND: [{ id }, visibleOrganizationsWhere(ctx.principal)] } });
    },
  }),
  auditEvents: t.prismaConnection({
    authScopes: { readRegistry: true },
    type: AuditEvent,
    cursor: "id",
    defaultSize: 50,
    maxSize: 200,
    description: "The audit trail of the organizations the caller administers, newest first.",
    args: { filter: t.arg({ type: AuditEventFilter }) },
    resolve: (query, _root, args, ctx) => {
      const f = args.filter ?? {};
      const where: object[] = [administeredRowsWhere(ctx.principal)];
      // An id of the wrong kind matches nothing, exactly like an unknown one.
      if (f.organizationId != null) where.push({ organizationId: idOf(String(f.organizationId), "Organization") ?? "" });
      if (f.applicationId != null) where.push({ applicationId: idOf(String(f.applicationId), "ConnectApplication") ?? "" });
      if (f.actorId != null) where.push({ actorId: f.actorId });
      if (f.action != null) where.push({ action: f.action });
      if (f.since != null) where.push({ createdAt: { gte: f.since } });
      return ctx.db.auditEvent.findMany({ ...query, where: { AND: where }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
    },
  }),
}));
