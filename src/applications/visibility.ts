// Who may authorize an application, and which of its revisions they get: the domain rules
// behind the authorization and token endpoints, kept here so the OAuth layer only asks.
import type { Db } from "../db/client.ts";
import { parseRevision, type Revision } from "./revision.ts";

export interface AuthorizationTarget {
  visibility: string;
  organizationId: string | null;
}

/**
 * A PRIVATE application is for the members (any role) of the organization that registered it;
 * a PUBLIC one, or one without an organization (first-party), anyone signed in may authorize.
 */
export async function mayAuthorize(db: Db, app: AuthorizationTarget, userId: string): Promise<boolean> {
  return (await authorizationAccess(db, app, userId)).allowed;
}

/**
 * current: the application as its organization last saved it (its members, first-party apps);
 * approved: what a review approved, for everyone outside the organization of a PUBLIC app.
 */
export type RevisionChoice = "current" | "approved";

export async function authorizationAccess(db: Db, app: AuthorizationTarget, userId: string): Promise<{ allowed: boolean; revision: RevisionChoice }> {
  if (!app.organizationId) return { allowed: true, revision: "current" };
  const member = (await db.membership.count({ where: { userId, organizationId: app.organizationId } })) > 0;
  if (member) return { allowed: true, revision: "current" };
  if (app.visibility !== "PUBLIC") return { allowed: false, revision: "current" };
  return { allowed: true, revision: "approved" };
}

export interface ScopeTarget extends AuthorizationTarget {
  /** The current DELEGATED grants. */
  delegatedGrants: ReadonlySet<string>;
  /** The approved revision's DELEGATED scopes, for a PUBLIC app. */
  approvedDelegated: ReadonlySet<string> | null;
}

/**
 * The DELEGATED scopes a person may get from the application at the token endpoint: the current
 * grants for its own members, the approved revision's for everyone else. Only a PUBLIC app serves
 * two revisions, so only then is membership looked up (a PRIVATE app's outsiders hold no tokens:
 * unpublishing ends them).
 */
export async function delegatedScopesFor(db: Db, app: ScopeTarget, userId: string): Promise<ReadonlySet<string>> {
  if (app.visibility !== "PUBLIC" || !app.organizationId) return app.delegatedGrants;
  const access = await authorizationAccess(db, app, userId);
  return access.revision === "approved" ? (app.approvedDelegated ?? new Set()) : app.delegatedGrants;
}

/** The approved revision a PUBLIC application's outsiders get, or null. */
export function approvedRevisionOf(app: { visibility: string; approvedRevision: string | null }): Revision | null {
  return app.visibility === "PUBLIC" ? parseRevision(app.approvedRevision) : null;
}
