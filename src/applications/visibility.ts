// Who may authorize an application: the domain rule behind the authorization endpoint's
// refusal, kept here so the OAuth layer only asks and never decides.
import type { Db } from "../db/client.ts";

export interface AuthorizationTarget {
  visibility: string;
  organizationId: string | null;
}

/**
 * A PRIVATE application is for the members (any role) of the organization that registered it;
 * a PUBLIC one, or one without an organization (first-party), anyone signed in may authorize.
 */
export async function mayAuthorize(db: Db, app: AuthorizationTarget, userId: string): Promise<boolean> {
  if (app.visibility !== "PRIVATE" || !app.organizationId) return true;
  return (await db.membership.count({ where: { userId, organizationId: app.organizationId } })) > 0;
}
