// The scope catalog as GraphQL: built once at start-up, served from memory.
import type { CatalogHub, CatalogScope } from "../catalog/index.ts";
import { builder } from "./builder.ts";

export const PermissionKindEnum = builder.enumType("PermissionKind", {
  description: "DELEGATED: the app acts for a signed-in user. APPLICATION: the app acts as itself.",
  values: {
    DELEGATED: { description: "Acts for a user: authorization code, on-behalf-of." },
    APPLICATION: { description: "Acts as itself: client credentials." },
  } as const,
});

export const HubRef = builder.objectRef<CatalogHub>("Hub");
export const ScopeRef = builder.objectRef<CatalogScope>("Scope");

HubRef.implement({
  description: "A product hub and the permissions it contributes.",
  fields: (t) => ({
    id: t.exposeString("id"),
    name: t.exposeString("name"),
    description: t.exposeString("description"),
    audience: t.exposeString("audience", { description: "The resource server its tokens are for (the aud claim)." }),
    builtIn: t.exposeBoolean("builtIn"),
    scopes: t.field({
      type: [ScopeRef],
      args: { kind: t.arg({ type: PermissionKindEnum }) },
      resolve: (hub, { kind }) => (kind ? hub.scopes.filter((s) => s.kinds.includes(kind)) : [...hub.scopes]),
    }),
  }),
});

ScopeRef.implement({
  description: "One permission, as admins grant it and users consent to it.",
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.exposeString("description", { description: "For admins." }),
    consent: t.exposeString("consent", { description: "For users, on the consent screen." }),
    kinds: t.field({ type: [PermissionKindEnum], resolve: (s) => [...s.kinds] }),
    onBehalfOf: t.exposeBoolean("onBehalfOf"),
    adminConsentRequired: t.exposeBoolean("adminConsentRequired"),
    hub: t.field({ type: HubRef, resolve: (s) => s.hub }),
  }),
});

builder.queryFields((t) => ({
  scopeCatalog: t.field({
    authScopes: { readRegistry: true },
    type: [HubRef],
    description: "Every hub and its scopes; the built-in hub `connect` comes first.",
    resolve: (_root, _args, ctx) => {
      return [...ctx.catalog.hubs];
    },
  }),
  scope: t.field({
    authScopes: { readRegistry: true },
    type: ScopeRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) => {
      return ctx.catalog.scope(name) ?? null;
    },
  }),
}));
