// Who is calling the admin API, taken from a verified access token, and what it may touch.
// An application's token acts for its own organization; a person's token acts within the
// organizations where the person is an ADMIN. Both are further limited by the token's scopes.
// Every filter built here fails closed: a principal with no organization sees nothing.
import { ForbiddenError } from "../applications/errors.ts";

export const READ_SCOPE = "connect.applications.read";
export const MANAGE_SCOPE = "connect.applications.manage";

export type Role = "ADMIN" | "MEMBER";

export interface Principal {
  kind: "USER" | "APPLICATION";
  /** The public subject: a person's `usr_` id, or an application's clientId. */
  subject: string;
  /** Database id of the person, for USER principals. */
  userId: string | null;
  /** The clientId the token was issued to. */
  clientId: string;
  /** Database id of an APPLICATION principal's own organization. */
  organizationId: string | null;
  scopes: ReadonlySet<string>;
  /** Database organization id -> role. An admin application is ADMIN of its own organization. */
  roles: ReadonlyMap<string, Role>;
  /** ADMIN of the operator organization: also manages first-party applications. */
  isOperator: boolean;
}

/** A principal that may do nothing: for code paths that need one before a token is read. */
export const NOBODY: Principal = {
  kind: "APPLICATION",
  subject: "anonymous",
  userId: null,
  clientId: "",
  organizationId: null,
  scopes: new Set(),
  roles: new Map(),
  isOperator: false,
};

/** manage implies read. */
export function hasScope(principal: Principal, need: "read" | "manage"): boolean {
  if (principal.scopes.has(MANAGE_SCOPE)) return true;
  return need === "read" && principal.scopes.has(READ_SCOPE);
}

export function requireScope(principal: Principal, need: "read" | "manage"): void {
  if (!hasScope(principal, need)) throw new ForbiddenError(need === "read" ? READ_SCOPE : MANAGE_SCOPE);
}

/** Organizations whose registry the principal administers (its scopes checked separately). */
export function adminOrganizationIds(principal: Principal): string[] {
  return [...principal.roles].filter(([, role]) => role === "ADMIN").map(([id]) => id);
}

export function isAdminOf(principal: Principal, organizationId: string | null | undefined): boolean {
  return Boolean(organizationId) && principal.roles.get(organizationId!) === "ADMIN";
}

export function canSeeApplication(principal: Principal, app: { organizationId: string | null; isFirstParty: boolean }): boolean {
  if (!hasScope(principal, "read")) return false;
  if (isAdminOf(principal, app.organizationId)) return true;
  return principal.isOperator && app.isFirstParty;
}

/**
 * Prisma filter for the applications a principal may see. Never an empty OR: with no
 * organization and no operator rights the filter matches no row at all.
 */
export function visibleApplicationsWhere(principal: Principal): object {
  const admin = hasScope(principal, "read") ? adminOrganizationIds(principal) : [];
  const clauses: object[] = [];
  if (admin.length > 0) clauses.push({ organizationId: { in: admin } });
  if (principal.isOperator && hasScope(principal, "read")) clauses.push({ isFirstParty: true });
  return clauses.length > 0 ? { OR: clauses } : { id: { in: [] } };
}

/** Prisma filter for organizations the principal may read: the ones it administers. */
export function visibleOrganizationsWhere(principal: Principal): object {
  const admin = hasScope(principal, "read") ? adminOrganizationIds(principal) : [];
  return { id: { in: admin } };
}
