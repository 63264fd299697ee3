// Who is calling, as the policy (policy.ts) sees it: built once per request by resolve.ts from a
// verified access token. `roles` are the person's roles in the organizations the token ACTS IN
// (tenancy.ts), never every organization they belong to.
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
  /** Database id of the organization the token was issued in (the app's), when it has one. */
  organizationId: string | null;
  scopes: ReadonlySet<string>;
  /** Database organization id -> role, in the organizations the token acts in. An admin application is ADMIN of its own. */
  roles: ReadonlyMap<string, Role>;
  /** ADMIN of the operator organization, acting in it: also manages first-party applications and decides publication. */
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
