// Who is calling the admin API, taken from a verified access token, and what it may touch.
import { ForbiddenError } from "../applications/errors.ts";

export const READ_SCOPE = "connect.applications.read";
export const MANAGE_SCOPE = "connect.applications.manage";

export interface Principal {
  /** The token's subject: a client_id (M2M admin apps) or a user id. */
  subject: string;
  clientId: string;
  organizationId: string | null;
  /** The operator organization also manages first-party applications. */
  isOperator: boolean;
  scopes: ReadonlySet<string>;
}

/** manage implies read. */
export function requireScope(principal: Principal, need: "read" | "manage"): void {
  if (principal.scopes.has(MANAGE_SCOPE)) return;
  if (need === "read" && principal.scopes.has(READ_SCOPE)) return;
  throw new ForbiddenError(need === "read" ? READ_SCOPE : MANAGE_SCOPE);
}

export function canSeeApplication(principal: Principal, app: { organizationId: string | null; isFirstParty: boolean }): boolean {
  if (app.organizationId !== null && app.organizationId === principal.organizationId) return true;
  return principal.isOperator && app.isFirstParty;
}

/** Prisma filter for the applications a principal may see. */
export function visibleApplicationsWhere(principal: Principal) {
  const own = principal.organizationId ? [{ organizationId: principal.organizationId }] : [];
  return { OR: [...own, ...(principal.isOperator ? [{ isFirstParty: true }] : [])] };
}

// TEMPORARY until main's people-as-principals lands (replaced by main's version at merge).
export function isAdminOf(principal: Principal, organizationId: string | null | undefined): boolean {
  return Boolean(organizationId) && principal.organizationId === organizationId && principal.scopes.has(MANAGE_SCOPE);
}
