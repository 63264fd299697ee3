// `viewer`: who the token is, for any valid token, whatever its scopes. A person sees their
// own memberships; an admin application sees its own organization (ADMIN when it holds the
// manage scope). Nothing here reaches into the registry.
import { hasRegistryScope } from "../access/policy.ts";
import { publicId } from "../ids.ts";
import { builder } from "./builder.ts";
import { MemberRoleEnum, Organization } from "./applications.ts";

interface ViewerMembership {
  organizationId: string;
  role: "ADMIN" | "MEMBER";
}

interface ViewerShape {
  kind: "USER" | "APPLICATION";
  id: string;
  email: string | null;
  memberships: ViewerMembership[];
}

export const ViewerKindEnum = builder.enumType("ViewerKind", {
  description: "USER: a person's token. APPLICATION: a token an application got for itself.",
  values: ["USER", "APPLICATION"] as const,
});

const ViewerMembershipRef = builder.objectRef<ViewerMembership>("ViewerMembership").implement({
  fields: (t) => ({
    role: t.field({ type: MemberRoleEnum, resolve: (m) => m.role }),
    organization: t.prismaField({
      type: Organization,
      resolve: (query, m, _args, ctx) => ctx.db.organization.findUniqueOrThrow({ ...query, where: { id: m.organizationId } }),
    }),
  }),
});

export const ViewerRef = builder.objectRef<ViewerShape>("Viewer").implement({
  description: "The caller: a person (usr_ id) or an application (app_ id).",
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.field({ type: ViewerKindEnum, resolve: (v) => v.kind }),
    email: t.exposeString("email", { nullable: true }),
    memberships: t.field({ type: [ViewerMembershipRef], resolve: (v) => v.memberships }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    // Not the registry: any valid token may ask who it is.
    skipTypeScopes: true,
    type: ViewerRef,
    description: "Who the access token is for. Any valid token may ask.",
    resolve: async (_root, _args, ctx) => {
      const p = ctx.principal;
      if (p.kind === "USER" && p.userId) {
        const user = await ctx.db.user.findUniqueOrThrow({ where: { id: p.userId }, select: { email: true } });
        const memberships = [...p.roles].map(([organizationId, role]) => ({ organizationId, role }));
        return { kind: "USER" as const, id: publicId("User", p.userId), email: user.email, memberships };
      }
      const app = await ctx.db.connectApplication.findUnique({ where: { clientId: p.clientId }, select: { id: true } });
      const memberships: ViewerMembership[] = p.organizationId
        ? [{ organizationId: p.organizationId, role: hasRegistryScope(p, "manage") ? "ADMIN" : "MEMBER" }]
        : [];
      return { kind: "APPLICATION" as const, id: app ? publicId("ConnectApplication", app.id) : p.clientId, email: null, memberships };
    },
  }),
}));
