// The one policy: every decision of the form "may this principal do this, here" is a named rule
// in this file, and every door (GraphQL fields and mutations, the authorization endpoint, every
// grant, the account pages, the CLI where it acts for someone) asks it. Doors never read roles
// or memberships themselves. RULES below is the table a reviewer asks for; the access matrix in
// test/access-matrix.test.ts is generated from it.
//
// Two kinds of callers:
//   - a Principal (resolve.ts): a verified token, with the roles of the organizations it acts in
//     (tenancy.ts) and its scopes;
//   - a person at the OAuth endpoints, before any token exists: their memberships are read from
//     the one MembershipDirectory (memberships.ts).
import type { Catalog } from "../catalog/index.ts";
import { ForbiddenError, NotFoundError, type FieldError } from "../errors.ts";
import { CONSOLE_CLIENT_ID } from "../ids.ts";
import type { MembershipDirectory, PersonRoles } from "./memberships.ts";
import { MANAGE_SCOPE, READ_SCOPE, type Principal } from "./principal.ts";

/** Every rule by name: who passes it, and where it is asked. */
export const RULES = {
  "tenancy.token_acts_in_its_application_organization": {
    who: "a person's token acts in the organization of the app it was issued to, with their role there; the operator's first-party apps act in all of the person's organizations",
    askedAt: "src/access/resolve.ts (every /graphql request)",
  },
  "registry.read": { who: "a token with connect.applications.read or .manage", askedAt: "GraphQL Query root (scope-auth)" },
  "registry.manage": { who: "a token with connect.applications.manage", askedAt: "GraphQL Mutation root (scope-auth)" },
  "organization.administer": {
    who: "ADMIN of the organization, in an organization the token acts in (an M2M admin app: its own)",
    askedAt: "applications, members, identity providers, registration tokens, audit events, organizations, updateOrganization",
  },
  "application.see": {
    who: "administers the app's organization; operator ADMIN also for first-party apps; nobody the console's own client (the server's fixture, remade at every start)",
    askedAt: "application(s), node, every application mutation",
  },
  "viewer.own_organizations": {
    who: "any valid token reads the organizations it acts in (id, name, isOperator) through viewer; their members stay organization.administer",
    askedAt: "Organization type (viewer.memberships.organization)",
  },
  "application.first_party": { who: "operator ADMIN", askedAt: "createConnectApplication, updateConnectApplication (isFirstParty)" },
  "organization.create": { who: "operator ADMIN with connect.applications.manage", askedAt: "createOrganization" },
  "publication.decide": { who: "operator ADMIN", askedAt: "approvePublication, rejectPublication, unpublishApplication" },
  "account.whole": {
    who: "ADMIN of every organization the person belongs to, or operator ADMIN",
    askedAt: "createPasswordResetLink, removeMember (ending every session)",
  },
  "account.second_factor": {
    who: "a person who belongs to an organization with requireMfa signs in with a second factor (adding one at their next sign-in)",
    askedAt: "sign-in after a password or an identity provider (src/oauth/sign-in-steps.ts)",
  },
  "sso.sign_in": {
    who: "an organization's identity provider signs in the member its subject is linked to, or the member with its verified email; a person nobody knows joins with the provider's jitRole (within its emailDomains); never anyone outside the organization",
    askedAt: "/oauth/sso/callback (src/auth/sso.ts matchSsoPerson)",
  },
  "oauth.authorize": {
    who: "members of a PRIVATE app's organization; anyone signed in for a PUBLIC or first-party app (outsiders get the approved revision)",
    askedAt: "/oauth/authorize, authorization_code, refresh_token, on-behalf-of",
  },
  "oauth.connect_scopes": {
    who: "connect.* reach a person only through the operator's first-party apps (authorize, code, refresh); never through exchange or on-behalf-of",
    askedAt: "/oauth/authorize, every grant issuing a person's token, grantScopes",
  },
  "oauth.admin_consent": {
    who: "adminConsentRequired scopes reach a person only while ADMIN of the app's organization (first-party apps: ADMIN of any)",
    askedAt: "/oauth/authorize, authorization_code, refresh_token, token exchange, on-behalf-of",
  },
  "oauth.act_for_person": {
    who: "on-behalf-of: a member of the acting app's organization, a person who consented to it, or any person for a first-party app",
    askedAt: "token exchange and jwt-bearer on-behalf-of",
  },
  "oauth.subject_is_member": {
    who: "external exchange and on-behalf-of by name: members of the app's organization only",
    askedAt: "token exchange",
  },
} as const;

export type RuleName = keyof typeof RULES;

// ---------------------------------------------------------------------------------------------
// Registry rules (a Principal at /graphql)

/** registry.read / registry.manage: manage implies read. */
export function hasRegistryScope(principal: Principal, need: "read" | "manage"): boolean {
  if (principal.scopes.has(MANAGE_SCOPE)) return true;
  return need === "read" && principal.scopes.has(READ_SCOPE);
}

export function requireRegistryScope(principal: Principal, need: "read" | "manage"): void {
  if (!hasRegistryScope(principal, need)) throw new ForbiddenError(need === "read" ? READ_SCOPE : MANAGE_SCOPE);
}

/** organization.administer: the organizations whose registry the principal administers (scopes checked separately). */
export function administeredOrganizationIds(principal: Principal): string[] {
  return [...principal.roles].filter(([, role]) => role === "ADMIN").map(([id]) => id);
}

/** organization.administer on one organization. */
export function administers(principal: Principal, organizationId: string | null | undefined): boolean {
  return Boolean(organizationId) && principal.roles.get(organizationId!) === "ADMIN";
}

/**
 * organization.administer with the scope it needs: members, identity providers and registration
 * tokens. Anything else reads as an organization that does not exist.
 */
export function requireOrganizationAdmin(principal: Principal, organizationId: string | null | undefined, need: "read" | "manage" = "manage"): void {
  requireRegistryScope(principal, need);
  if (!administers(principal, organizationId)) throw new NotFoundError("organization");
}

/** viewer.own_organizations: an organization the token acts in, whatever its scopes. */
export function actsInOrganization(principal: Principal, organizationId: string): boolean {
  return principal.roles.has(organizationId);
}

/** application.see */
export function maySeeApplication(principal: Principal, app: { clientId: string; organizationId: string | null; isFirstParty: boolean }): boolean {
  if (!hasRegistryScope(principal, "read")) return false;
  if (app.clientId === CONSOLE_CLIENT_ID) return false;
  if (administers(principal, app.organizationId)) return true;
  return principal.isOperator && app.isFirstParty;
}

const NOTHING = { id: { in: [] as string[] } };

/** application.see as a Prisma filter. Never an empty OR: with no organization it matches nothing. */
export function visibleApplicationsWhere(principal: Principal): object {
  if (!hasRegistryScope(principal, "read")) return NOTHING;
  const clauses: object[] = [];
  const admin = administeredOrganizationIds(principal);
  if (admin.length > 0) clauses.push({ organizationId: { in: admin } });
  if (principal.isOperator) clauses.push({ isFirstParty: true });
  // The console's own client is the server's fixture, not a registry application: an operator
  // ADMIN who edited, deleted or revoked it would lock every person out of the console until the
  // next start put it back. It is left out of every list and lookup, so every change is NotFound.
  return clauses.length > 0 ? { AND: [{ OR: clauses }, { clientId: { not: CONSOLE_CLIENT_ID } }] } : NOTHING;
}

/** organization.administer as a Prisma filter on organizations. */
export function visibleOrganizationsWhere(principal: Principal): object {
  return { id: { in: hasRegistryScope(principal, "read") ? administeredOrganizationIds(principal) : [] } };
}

/** organization.administer as a Prisma filter on rows that carry an organizationId (audit events, requests). */
export function administeredRowsWhere(principal: Principal): { organizationId: { in: string[] } } {
  return { organizationId: { in: hasRegistryScope(principal, "read") ? administeredOrganizationIds(principal) : [] } };
}

/** account.second_factor: any organization of the person that requires a second factor makes it required. */
export function secondFactorRequired(organizations: readonly { requireMfa: boolean }[]): boolean {
  return organizations.some((o) => o.requireMfa);
}

/** What single sign-on knows when it asks sso.sign_in (read by src/auth/sso.ts). */
export interface SsoSignInFacts {
  provider: { name: string; organizationName: string; jitRole: "ADMIN" | "MEMBER" | null; emailDomains: readonly string[] };
  /** The person the provider's `sub` is linked to, and whether they are still a member. */
  linked: { userId: string; isMember: boolean } | null;
  /** The ID token's email, trimmed and lower-cased ("" when absent), and email_verified. */
  email: string;
  emailVerified: boolean;
  /** The person with that email, when there is one (asked only without a link). */
  existing: { userId: string; isMember: boolean } | null;
}

export type SsoSignInDecision = { userId: string } | { join: "ADMIN" | "MEMBER" } | { refused: string };

/**
 * sso.sign_in: who an identity provider of organization X may sign in.
 * - the person its `sub` is linked to (linkExternalIdentity), while they are a member of X;
 * - otherwise, with a verified email, the person with that email if they are a member of X
 *   (never someone outside X: an ADMIN of X controls what X's provider asserts);
 * - otherwise nobody has that email: when the provider has a jitRole, a new person joins X
 *   with it, but only for an email in the provider's emailDomains when it lists any.
 * Everyone else is refused, with the reason in words for the error page.
 */
export function ssoSignIn(f: SsoSignInFacts): SsoSignInDecision {
  const { name, organizationName: org } = f.provider;
  if (f.linked) {
    if (f.linked.isMember) return { userId: f.linked.userId };
    return { refused: `The account linked to you at ${name} is no longer a member of ${org}. Ask an administrator of ${org} to invite you again.` };
  }
  if (!f.email) return { refused: `${name} did not say which email address you use, so you cannot be matched to an account of ${org}.` };
  if (!f.emailVerified) return { refused: `${name} has not verified the email address ${f.email}, so it cannot sign you in here. Verify it at ${name}, or sign in with your password.` };
  if (f.existing) {
    if (f.existing.isMember) return { userId: f.existing.userId };
    return { refused: `The account ${f.email} is not a member of ${org}, so ${name} cannot sign it in. Sign in with your password, or ask an administrator of ${org} to invite you.` };
  }
  if (!f.provider.jitRole) return { refused: `${f.email} has no account in ${org}, and ${name} does not let new people join. Ask an administrator of ${org} to invite you.` };
  const domain = f.email.slice(f.email.lastIndexOf("@") + 1);
  if (f.provider.emailDomains.length > 0 && !f.provider.emailDomains.includes(domain)) {
    return { refused: `${name} signs in new people of ${f.provider.emailDomains.join(", ")} only, and ${f.email} is not one of them.` };
  }
  return { join: f.provider.jitRole };
}

/** organization.create */
// access: operator creates organizations
export function requireOrganizationCreator(principal: Principal): void {
  requireRegistryScope(principal, "manage");
  if (!principal.isOperator) {
    throw new ForbiddenError(MANAGE_SCOPE, "only ADMINs of the operator organization create organizations", "operator_only");
  }
}

/** application.first_party */
export function mayMarkFirstParty(principal: Principal): boolean {
  return principal.isOperator;
}

/** publication.decide, and who else takes part: the owner (ADMIN of the app's organization). */
export function publicationRoles(principal: Principal, organizationId: string | null): ("owner" | "operator")[] {
  const roles: ("owner" | "operator")[] = [];
  if (administers(principal, organizationId)) roles.push("owner");
  if (principal.isOperator) roles.push("operator");
  return roles;
}

/** Publication requests a principal may read: all for operator ADMINs, their organizations' for others. */
export function visiblePublicationRequestsWhere(principal: Principal): object {
  if (!hasRegistryScope(principal, "read")) return NOTHING;
  if (principal.isOperator) return {};
  return administeredRowsWhere(principal);
}

/**
 * account.whole: actions on a person's whole account (a password-reset link, ending every
 * session) reach past the organization they are asked in. Only someone who administers every
 * organization the person belongs to, or an operator ADMIN, may take them.
 */
export function mayActOnWholeAccount(principal: Principal, person: PersonRoles): boolean {
  if (principal.isOperator) return true;
  return [...person.roles.keys()].every((organizationId) => administers(principal, organizationId));
}

export function requireWholeAccount(principal: Principal, person: PersonRoles): void {
  if (mayActOnWholeAccount(principal, person)) return;
  throw new ForbiddenError(
    "ADMIN of every organization the person belongs to",
    "this person also belongs to organizations you do not administer: only an ADMIN of each of them, or of the operator organization, may act on their whole account",
    "person_in_other_organizations",
  );
}

// ---------------------------------------------------------------------------------------------
// OAuth rules (a person at the authorization and token endpoints)

/** What an application looks like to the OAuth rules. */
export interface OAuthApplication {
  id?: string;
  organizationId: string | null;
  isFirstParty: boolean;
  visibility: string;
}

/**
 * current: the application as its organization last saved it (its members, first-party apps);
 * approved: what a review approved, for everyone outside the organization of a PUBLIC app.
 */
export type RevisionChoice = "current" | "approved";

/**
 * oauth.authorize: a PRIVATE application is for the members (any role) of the organization that
 * registered it; a PUBLIC one, or one without an organization (first-party), anyone signed in
 * may authorize, outsiders getting its approved revision.
 */
export async function authorizationAccess(
  memberships: Pick<MembershipDirectory, "isMember">,
  app: Pick<OAuthApplication, "organizationId" | "visibility">,
  userId: string,
): Promise<{ allowed: boolean; revision: RevisionChoice }> {
  if (!app.organizationId) return { allowed: true, revision: "current" };
  if (await memberships.isMember(userId, app.organizationId)) return { allowed: true, revision: "current" };
  if (app.visibility !== "PUBLIC") return { allowed: false, revision: "current" };
  return { allowed: true, revision: "approved" };
}

export interface GrantTarget extends Pick<OAuthApplication, "organizationId" | "visibility"> {
  /** The current DELEGATED grants and on-behalf-of switch. */
  delegatedGrants: ReadonlySet<string>;
  onBehalfOfEnabled: boolean;
  /** The approved revision's DELEGATED scopes and on-behalf-of switch, for a PUBLIC app. */
  approvedDelegated: ReadonlySet<string> | null;
  approvedOnBehalfOf: boolean | null;
}

/**
 * oauth.authorize at the token endpoint: the app's current DELEGATED grants and on-behalf-of
 * switch for its own members, the approved revision's for everyone else. Only a PUBLIC app
 * serves two revisions, so only then is membership looked up.
 */
export async function grantsFor(
  memberships: Pick<MembershipDirectory, "isMember">,
  app: GrantTarget,
  userId: string,
): Promise<{ delegatedScopes: ReadonlySet<string>; onBehalfOfEnabled: boolean }> {
  const current = { delegatedScopes: app.delegatedGrants, onBehalfOfEnabled: app.onBehalfOfEnabled };
  if (app.visibility !== "PUBLIC" || !app.organizationId) return current;
  if (await memberships.isMember(userId, app.organizationId)) return current;
  return { delegatedScopes: app.approvedDelegated ?? new Set(), onBehalfOfEnabled: app.approvedOnBehalfOf ?? false };
}

/** How a person's token is being issued. */
export type PersonGrant = "authorize" | "authorization_code" | "refresh_token" | "device_code" | "token_exchange" | "on_behalf_of";

/** Grants through which a person signs in to the app themselves (not exchange or on-behalf-of). */
const SIGN_IN_GRANTS: ReadonlySet<PersonGrant> = new Set(["authorize", "authorization_code", "refresh_token", "device_code"]);

export function isConnectScope(scope: string): boolean {
  return scope.startsWith("connect.");
}

export interface RefusedScope {
  scope: string;
  rule: "oauth.connect_scopes" | "oauth.admin_consent";
  reason: string;
}

/**
 * oauth.connect_scopes and oauth.admin_consent, at every grant that issues a person's token:
 * which of the requested scopes the person's token may carry. The caller decides what a refusal
 * means for its grant (dropped at refresh, invalid_scope at exchange, access_denied at authorize).
 */
export async function personTokenScopes(
  deps: { memberships: Pick<MembershipDirectory, "get">; catalog: Pick<Catalog, "scope"> },
  request: { app: Pick<OAuthApplication, "organizationId" | "isFirstParty">; userId: string; scopes: readonly string[]; grant: PersonGrant },
): Promise<{ allowed: string[]; refused: RefusedScope[] }> {
  const { app, scopes, grant } = request;
  const allowed: string[] = [];
  const refused: RefusedScope[] = [];
  let admin: boolean | undefined;
  for (const scope of scopes) {
    if (isConnectScope(scope) && !(app.isFirstParty && SIGN_IN_GRANTS.has(grant))) {
      refused.push({
        scope,
        rule: "oauth.connect_scopes",
        reason: SIGN_IN_GRANTS.has(grant)
          ? "the admin API's scopes reach people only through the operator's first-party applications"
          : "token exchange and on-behalf-of never issue the admin API's scopes",
      });
      continue;
    }
    if (deps.catalog.scope(scope)?.adminConsentRequired) {
      admin ??= await isAdminForApplication(deps.memberships, app, request.userId);
      if (!admin) {
        refused.push({ scope, rule: "oauth.admin_consent", reason: "only an ADMIN of the application's organization may be given this scope" });
        continue;
      }
    }
    allowed.push(scope);
  }
  return { allowed, refused };
}

/** oauth.admin_consent: ADMIN of the app's organization; for a first-party app without one, ADMIN of any organization. */
async function isAdminForApplication(
  memberships: Pick<MembershipDirectory, "get">,
  app: Pick<OAuthApplication, "organizationId" | "isFirstParty">,
  userId: string,
): Promise<boolean> {
  const { roles } = await memberships.get(userId);
  if (app.organizationId) return roles.get(app.organizationId) === "ADMIN";
  return app.isFirstParty && [...roles.values()].includes("ADMIN");
}

/**
 * oauth.act_for_person: on-behalf-of by token. The person is a member of the acting app's
 * organization, has consented to it, or the app is first-party.
 */
export async function mayActForPerson(
  deps: { memberships: Pick<MembershipDirectory, "isMember">; hasConsented: (userId: string, applicationId: string) => Promise<boolean> },
  app: { id: string; organizationId: string | null; isFirstParty: boolean },
  userId: string,
): Promise<boolean> {
  if (app.isFirstParty) return true;
  // Membership first, from the cached directory: consent is read only for outsiders.
  if (app.organizationId && (await deps.memberships.isMember(userId, app.organizationId))) return true;
  return deps.hasConsented(userId, app.id);
}

/** oauth.subject_is_member: external exchange and on-behalf-of by name serve the app's own members only. */
export async function isSubjectMember(memberships: Pick<MembershipDirectory, "isMember">, app: { organizationId: string | null }, userId: string): Promise<boolean> {
  return app.organizationId !== null && (await memberships.isMember(userId, app.organizationId));
}

/**
 * oauth.connect_scopes at grant time: connect.* may be granted as DELEGATED only to the
 * operator's first-party applications; to any other application only as APPLICATION (its
 * organization's M2M admin).
 */
export function connectGrantProblems(app: { isFirstParty: boolean; applicationType: string }, scopes: readonly string[], kind: string): FieldError[] {
  if (kind === "DELEGATED" ? app.isFirstParty : app.applicationType === "M2M") return [];
  return scopes
    .map((scope, i) => ({ scope, i }))
    .filter(({ scope }) => isConnectScope(scope))
    .map(({ scope, i }) => ({
      path: ["scopes", String(i)],
      code: "connect_scope_first_party_only",
      message:
        kind === "DELEGATED"
          ? `${scope} can be granted as DELEGATED only to the operator's first-party applications; grant it as APPLICATION to an M2M app of this organization instead`
          : `${scope} can be granted as APPLICATION only to an M2M application (the organization's admin app)`,
    }));
}
