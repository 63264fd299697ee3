// Who may authorize an application, and which of its revisions they get: the domain rules
// behind the authorization and token endpoints, kept here so the OAuth layer only asks.
import type { Db } from "../db/client.ts";
import { parseRevision, type Revision } from "./revision.ts";

export interface AuthorizationTarget {
  visibility: string;
  organizationId: string | null;
}

/**
 * current: the application as its organization last saved it (its members, first-party apps);
 * approved: what a review approved, for everyone outside the organization of a PUBLIC app.
 */
export type RevisionChoice = "current" | "approved";

/**
 * A PRIVATE application is for the members (any role) of the organization that registered it;
 * a PUBLIC one, or one without an organization (first-party), anyone signed in may authorize.
 */
export async function authorizationAccess(db: Db, app: AuthorizationTarget, userId: string): Promise<{ allowed: boolean; revision: RevisionChoice }> {
  if (!app.organizationId) return { allowed: true, revision: "current" };
  const member = (await db.membership.count({ where: { userId, organizationId: app.organizationId } })) > 0;
  if (member) return { allowed: true, revision: "current" };
  if (app.visibility !== "PUBLIC") return { allowed: false, revision: "current" };
  return { allowed: true, revision: "approved" };
}

export interface GrantTarget extends AuthorizationTarget {
  /** The current DELEGATED grants and on-behalf-of switch. */
  delegatedGrants: ReadonlySet<string>;
  onBehalfOfEnabled: boolean;
  /** The approved revision's DELEGATED scopes and on-behalf-of switch, for a PUBLIC app. */
  approvedDelegated: ReadonlySet<string> | null;
  approvedOnBehalfOf: boolean | null;
}

/** Whether a person belongs to an organization (the callers have their own, cached or not). */
export type IsMember = (userId: string, organizationId: string) => Promise<boolean>;

/**
 * What an application may do for a person at the token endpoint: its current DELEGATED grants
 * and on-behalf-of switch for its own members, the approved revision's for everyone else. Only
 * a PUBLIC app serves two revisions, so only then is membership looked up (a PRIVATE app's
 * outsiders hold no tokens: unpublishing ends them).
 */
export async function grantsFor(app: GrantTarget, userId: string, isMember: IsMember): Promise<{ delegatedScopes: ReadonlySet<string>; onBehalfOfEnabled: boolean }> {
  const current = { delegatedScopes: app.delegatedGrants, onBehalfOfEnabled: app.onBehalfOfEnabled };
  if (app.visibility !== "PUBLIC" || !app.organizationId) return current;
  if (await isMember(userId, app.organizationId)) return current;
  return { delegatedScopes: app.approvedDelegated ?? new Set(), onBehalfOfEnabled: app.approvedOnBehalfOf ?? false };
}

/** grantsFor's scopes, with membership read from the database. */
export async function delegatedScopesFor(db: Db, app: GrantTarget, userId: string): Promise<ReadonlySet<string>> {
  const isMember: IsMember = async (user, organizationId) => (await db.membership.count({ where: { userId: user, organizationId } })) > 0;
  return (await grantsFor(app, userId, isMember)).delegatedScopes;
}

/** The approved revision a PUBLIC application's outsiders get, or null. */
export function approvedRevisionOf(app: { visibility: string; approvedRevision: string | null }): Revision | null {
  return app.visibility === "PUBLIC" ? parseRevision(app.approvedRevision) : null;
}

// access: admin consent
/**
 * Whether a person may allow an application the scopes that need an administrator's consent:
 * ADMIN of the app's organization; for a first-party app without one, ADMIN of any organization.
 */
export async function mayGiveAdminConsent(db: Db, userId: string, app: { organizationId: string | null; isFirstParty: boolean }): Promise<boolean> {
  if (app.organizationId) return (await db.membership.count({ where: { userId, organizationId: app.organizationId, role: "ADMIN" } })) > 0;
  return app.isFirstParty && (await db.membership.count({ where: { userId, role: "ADMIN" } })) > 0;
}
