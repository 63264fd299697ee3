// `viewer`: who the token speaks for, for every valid token, whatever its scopes. A person sees
// their memberships (MEMBERs too: the console needs them to know what to show); an M2M app
// sees its own organization, as ADMIN when it holds connect.applications.manage.
import { MANAGE_SCOPE } from "../auth/principal.ts";
import { builder } from "./builder.ts";
import { MemberRoleEnum, Organization } from "./applications.ts";

const ViewerKindEnum = builder.enumType("ViewerKind", { values: ["USER", "APPLICATION"] as const });

const Membership = builder.objectRef<{ organizationId: string; role: "ADMIN" | "MEMBER" }>("Membership").implement({
  fields: (t) => ({
    role: t.field({ type: MemberRoleEnum, resolve: (m) => m.role }),
    organization: t.prismaField({
      type: Organization,
      resolve: (query, m, _a, ctx) => ctx.db.organization.findUniqueOrThrow({ ...query, where: { id: m.organizationId } }),
    }),
  }),
});

export interface ViewerShape {
  id: string;
  kind: "USER" | "APPLICATION";
  userId: string | null;
  organizationId: string | null;
  canManage: boolean;
}

export const Viewer = builder.objectRef<ViewerShape>("Viewer").implement({
  description: "The person or application the access token speaks for.",
  fields: (t) => ({
    id: t.id({ description: "A person's usr_ id, or an application's clientId.", resolve: (v) => v.id }),
    kind: t.field({ type: ViewerKindEnum, resolve: (v) => v.kind }),
    email: t.string({
      nullable: true,
      resolve: async (v, _a, ctx) =>
        v.userId ? ((await ctx.db.user.findUnique({ where: { id: v.userId }, select: { email: true } }))?.email ?? null) : null,
    }),
    memberships: t.field({
      type: [Membership],
      resolve: async (v, _a, ctx) => {
        if (v.userId) {
          const rows = await ctx.db.membership.findMany({ where: { userId: v.userId }, orderBy: { createdAt: "asc" } });
          return rows.map((m) => ({ organizationId: m.organizationId, role: m.role === "ADMIN" ? ("ADMIN" as const) : ("MEMBER" as const) }));
        }
        return v.organizationId ? [{ organizationId: v.organizationId, role: v.canManage ? ("ADMIN" as const) : ("MEMBER" as const) }] : [];
      },
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: Viewer,
    resolve: (_root, _args, ctx) => ({
      id: ctx.principal.subject,
      kind: ctx.principal.kind,
      userId: ctx.principal.userId,
      organizationId: ctx.principal.organizationId,
      canManage: ctx.principal.scopes.has(MANAGE_SCOPE),
    }),
  }),
);
