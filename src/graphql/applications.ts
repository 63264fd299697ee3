// ConnectApplication and its parts as GraphQL. Relations load through @pothos/plugin-prisma's
// selections, so a page of applications with URIs, secrets and grants is a fixed number of queries.
import { actsInOrganization, administeredRowsWhere, administers, visibleApplicationsWhere, visibleOrganizationsWhere } from "../access/policy.ts";
import { APPLICATION_TYPES, PLATFORMS, TOKEN_ENDPOINT_AUTH_METHODS, type TokenEndpointAuthMethod } from "../applications/fields.ts";
import type { CatalogScope } from "../catalog/index.ts";
import type { Db } from "../db/client.ts";
import { publicId, rawIdOf } from "../ids.ts";
import { builder } from "./builder.ts";
import { PermissionKindEnum, ScopeRef } from "./catalog.ts";

export const ApplicationTypeEnum = builder.enumType("ApplicationType", { values: APPLICATION_TYPES });
export const PlatformEnum = builder.enumType("Platform", {
  description: "WEB apps are confidential clients; SPA and NATIVE apps are public clients that must use PKCE.",
  values: PLATFORMS,
});
export const TokenEndpointAuthMethodEnum = builder.enumType("TokenEndpointAuthMethod", { values: TOKEN_ENDPOINT_AUTH_METHODS });
export const VisibilityEnum = builder.enumType("Visibility", {
  description: "PRIVATE apps may be authorized only by members of their organization.",
  values: ["PRIVATE", "PUBLIC"] as const,
});

export const MemberRoleEnum = builder.enumType("MemberRole", { values: ["ADMIN", "MEMBER"] as const });

export const Member = builder.prismaObject("Membership", {
  name: "Member",
  description: "A person in an organization, who can sign in to authorize its applications.",
  fields: (t) => ({
    userId: t.id({ description: "The person's usr_ id.", resolve: (m) => publicId("User", m.userId) }),
    role: t.field({ type: MemberRoleEnum, resolve: (m) => m.role as "ADMIN" | "MEMBER" }),
    email: t.string({ select: { user: { select: { email: true } } }, resolve: (m) => m.user.email }),
    name: t.string({ nullable: true, select: { user: { select: { name: true } } }, resolve: (m) => m.user.name }),
    joinedAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const Organization = builder.prismaNode("Organization", {
  id: { field: "id" },
  nullable: true,
  // The organizations a token acts in are readable through viewer whatever its scopes.
  authScopes: (org, ctx) => (actsInOrganization(ctx.principal, org.id) ? true : { readRegistry: true }),
  findUnique: (id, ctx) => {
    // Only organizations the principal administers are visible; anything else reads as absent.
    return { id, AND: [visibleOrganizationsWhere(ctx.principal)] } as never;
  },
  fields: (t) => ({
    name: t.exposeString("name"),
    isOperator: t.exposeBoolean("isOperator"),
    requireMfa: t.exposeBoolean("requireMfa", { description: "Its people sign in with a second factor (asked to add one at their next sign-in)." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    // Who belongs to an organization is for its admins only.
    members: t.relation("memberships", {
      query: { orderBy: { createdAt: "asc" } },
      resolve: (query, org, _args, ctx) =>
        administers(ctx.principal, org.id) ? ctx.db.membership.findMany({ ...query, where: { organizationId: org.id } }) : [],
    }),
  }),
});

const RedirectUriRef = builder.objectRef<{ uri: string; isDefault: boolean }>("RedirectUri").implement({
  fields: (t) => ({ uri: t.exposeString("uri"), default: t.exposeBoolean("isDefault") }),
});

const TokenExchangeRef = builder
  .objectRef<{ tokenExchangeEnabled: boolean; tokenExchangeAccessTokenTtl: number }>("TokenExchangeSettings")
  .implement({
    fields: (t) => ({
      enabled: t.exposeBoolean("tokenExchangeEnabled"),
      accessTokenTtlSeconds: t.exposeInt("tokenExchangeAccessTokenTtl"),
    }),
  });

export const ClientSecret = builder.prismaNode("ClientSecret", {
  id: { field: "id" },
  nullable: true,
  authScopes: { readRegistry: true },
  description: "A credential of a confidential application. The plaintext is shown once, by addClientSecret.",
  findUnique: (id, ctx) => {
    return { id, application: visibleApplicationsWhere(ctx.principal) } as never;
  },
  fields: (t) => ({
    description: t.exposeString("description", { nullable: true }),
    hint: t.exposeString("hint", { description: "The last four characters, to tell secrets apart." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    active: t.boolean({
      resolve: (s) => s.revokedAt === null && (s.expiresAt === null || s.expiresAt.getTime() > Date.now()),
    }),
  }),
});

/** A grant whose scope a removed plugin used to declare still shows, marked as unknown. */
function scopeOrPlaceholder(scope: CatalogScope | undefined, name: string): CatalogScope {
  if (scope) return scope;
  const hub = { id: "unknown", name: "Unknown", description: "", audience: "", builtIn: false, scopes: [], source: "" };
  return {
    name,
    description: "This scope is no longer in the catalog.",
    consent: name,
    kinds: [],
    onBehalfOf: false,
    adminConsentRequired: false,
    builtIn: false,
    hub,
  } as unknown as CatalogScope;
}

export const ScopeGrant = builder.prismaObject("ScopeGrant", {
  fields: (t) => ({
    scope: t.field({ type: ScopeRef, resolve: (g, _a, ctx) => scopeOrPlaceholder(ctx.catalog.scope(g.scope), g.scope) }),
    kind: t.field({ type: PermissionKindEnum, resolve: (g) => g.kind as "DELEGATED" | "APPLICATION" }),
    grantedAt: t.expose("grantedAt", { type: "DateTime" }),
    grantedBy: t.exposeString("grantedBy", { nullable: true }),
  }),
});

export const ConnectApplication = builder.prismaNode("ConnectApplication", {
  id: { field: "id" },
  nullable: true,
  authScopes: { readRegistry: true },
  findUnique: (id, ctx) => {
    return { id, AND: [visibleApplicationsWhere(ctx.principal)] } as never;
  },
  fields: (t) => ({
    clientId: t.exposeString("clientId", { description: "Public identifier used in OAuth requests." }),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    applicationType: t.field({ type: ApplicationTypeEnum, resolve: (a) => a.applicationType as "OAUTH" | "M2M" }),
    platform: t.field({ type: PlatformEnum, nullable: true, resolve: (a) => a.platform as "WEB" | "SPA" | "NATIVE" | null }),
    confidential: t.boolean({ resolve: (a) => a.applicationType === "M2M" || a.platform === "WEB" }),
    redirectUris: t.field({
      type: [RedirectUriRef],
      select: { redirectUris: { orderBy: { position: "asc" } } },
      resolve: (a) => a.redirectUris.filter((r) => r.kind === "REDIRECT"),
    }),
    postLogoutRedirectUris: t.stringList({
      select: { redirectUris: { orderBy: { position: "asc" } } },
      resolve: (a) => a.redirectUris.filter((r) => r.kind === "POST_LOGOUT").map((r) => r.uri),
    }),
    usesPkce: t.exposeBoolean("usesPkce"),
    isFirstParty: t.exposeBoolean("isFirstParty"),
    organization: t.relation("organization", { nullable: true }),
    clientCode: t.exposeString("clientCode", { nullable: true }),
    logoUri: t.exposeString("logoUri", { nullable: true }),
    termsOfServiceUri: t.exposeString("termsOfServiceUri", { nullable: true }),
    privacyPolicyUri: t.exposeString("privacyPolicyUri", { nullable: true }),
    registeredDynamically: t.exposeBoolean("registeredDynamically", {
      description: "Registered through POST /oauth/register (RFC 7591) and manageable there with its registration access token.",
    }),
    visibility: t.field({ type: VisibilityEnum, resolve: (a) => a.visibility as "PRIVATE" | "PUBLIC" }),
    onBehalfOfEnabled: t.exposeBoolean("onBehalfOfEnabled"),
    onBehalfOfNamedSubjects: t.exposeBoolean("onBehalfOfNamedSubjects"),
    tokenExchange: t.field({ type: TokenExchangeRef, resolve: (a) => a }),
    tokenEndpointAuthMethod: t.field({
      type: TokenEndpointAuthMethodEnum,
      description: "How it authenticates at the token endpoint (the default when none was chosen: a secret for confidential apps, NONE for public ones).",
      resolve: (a) => (a.tokenEndpointAuthMethod ?? (a.applicationType === "M2M" || a.platform === "WEB" ? "CLIENT_SECRET_BASIC" : "NONE")) as TokenEndpointAuthMethod,
    }),
    jwks: t.exposeString("jwks", { nullable: true, description: "PRIVATE_KEY_JWT: the registered JWK Set (public keys), as JSON text." }),
    jwksUri: t.exposeString("jwksUri", { nullable: true }),
    requireDpop: t.exposeBoolean("requireDpop", { description: "Tokens only with a DPoP proof (RFC 9449)." }),
    requirePushedAuthorizationRequests: t.exposeBoolean("requirePushedAuthorizationRequests", {
      description: "Authorization requests only through /oauth/par (RFC 9126); REQUIRE_PAR makes it so for every application.",
    }),
    clientSecrets: t.relation("clientSecrets", { query: { orderBy: { createdAt: "asc" } } }),
    scopeGrants: t.relation("scopeGrants", { query: { orderBy: [{ scope: "asc" }, { kind: "asc" }] } }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

/** Who did something, for people to read: a person's name and email, an application's name. */
interface AuditActor {
  kind: string;
  id: string | null;
  name: string | null;
  email: string | null;
}

const AuditActorRef = builder.objectRef<AuditActor>("AuditActor").implement({
  description: "Who did it, named for people (the usr_ id or clientId stays in id).",
  fields: (t) => ({
    kind: t.exposeString("kind", { description: "USER, APPLICATION or SYSTEM." }),
    id: t.exposeString("id", { nullable: true, description: "A person's usr_ id or an application's clientId." }),
    name: t.exposeString("name", { nullable: true, description: "The person's name, or the application's name." }),
    email: t.exposeString("email", { nullable: true, description: "The person's email." }),
  }),
});

type ActorLoader = (kind: string, id: string) => Promise<{ name: string | null; email: string | null } | null>;
const actorLoaders = new WeakMap<object, ActorLoader>();

/**
 * One query for the people and one for the applications of a whole page of events: the ids
 * asked for in the same tick are read together (the events of a list resolve together).
 */
function actorLoader(ctx: { db: Db }): ActorLoader {
  const existing = actorLoaders.get(ctx);
  if (existing) return existing;
  const cache = new Map<string, Promise<{ name: string | null; email: string | null } | null>>();
  type Named = { name: string | null; email: string | null } | null;
  type Batch = { users: Map<string, (v: Named) => void>; apps: Map<string, (v: Named) => void> };
  let pending: Batch | null = null;
  const flush = async (batch: Batch) => {
    const [users, apps] = await Promise.all([
      batch.users.size ? ctx.db.user.findMany({ where: { id: { in: [...batch.users.keys()] } }, select: { id: true, name: true, email: true } }) : [],
      batch.apps.size ? ctx.db.connectApplication.findMany({ where: { clientId: { in: [...batch.apps.keys()] } }, select: { clientId: true, name: true } }) : [],
    ]).catch(() => [[], []] as const);
    const userById = new Map(users.map((u) => [u.id, u]));
    const appByClientId = new Map(apps.map((a) => [a.clientId, a]));
    for (const [id, done] of batch.users) {
      const u = userById.get(id);
      done(u ? { name: u.name, email: u.email } : null);
    }
    for (const [clientId, done] of batch.apps) {
      const a = appByClientId.get(clientId);
      done(a ? { name: a.name, email: null } : null);
    }
  };
  const load: ActorLoader = (kind, id) => {
    const key = `${kind}:${id}`;
    const known = cache.get(key);
    if (known) return known;
    const raw = kind === "USER" ? rawIdOf(id, "User") : id;
    if (!raw || (kind !== "USER" && kind !== "APPLICATION")) {
      const none = Promise.resolve(null);
      cache.set(key, none);
      return none;
    }
    if (!pending) {
      const batch: Batch = { users: new Map(), apps: new Map() };
      pending = batch;
      queueMicrotask(() => {
        pending = null;
        void flush(batch);
      });
    }
    const batch = pending;
    const promise = new Promise<Named>((resolve) => (kind === "USER" ? batch.users : batch.apps).set(raw, resolve));
    cache.set(key, promise);
    return promise;
  };
  actorLoaders.set(ctx, load);
  return load;
}

export const AuditEvent = builder.prismaNode("AuditEvent", {
  id: { field: "id" },
  nullable: true,
  authScopes: { readRegistry: true },
  findUnique: (id, ctx) => {
    return { id, ...administeredRowsWhere(ctx.principal) } as never;
  },
  fields: (t) => ({
    action: t.exposeString("action"),
    actorType: t.exposeString("actorType"),
    actorId: t.exposeString("actorId", { nullable: true }),
    actor: t.field({
      type: AuditActorRef,
      description: "Who did it, with the person's name and email (or the application's name), for people to read.",
      select: { actorType: true, actorId: true },
      resolve: async (e, _args, ctx) => {
        const named = e.actorId ? await actorLoader(ctx)(e.actorType, e.actorId) : null;
        return { kind: e.actorType, id: e.actorId, name: named?.name ?? null, email: named?.email ?? null };
      },
    }),
    targetType: t.exposeString("targetType", { nullable: true }),
    targetId: t.exposeString("targetId", { nullable: true }),
    details: t.exposeString("details", { description: "JSON; never contains secrets." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});
