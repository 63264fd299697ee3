// Which organizations a person's token acts in (DESIGN "Organizations a person's token acts in").
// A token issued to an application of organization X acts in X only, with the person's role in
// X and nothing of their roles elsewhere; an outsider (not a member of X) acts nowhere. Only the
// operator's first-party applications (the console among them) act in every organization the
// person belongs to. Auth0 and Logto Organizations bind a person's token to one organization the
// same way; here the binding comes from the application, so no request can choose it.
import type { PersonRoles } from "./memberships.ts";
import type { Role } from "./principal.ts";

/** The application a token was issued to, as far as tenancy cares. */
export interface IssuingApplication {
  organizationId: string | null;
  /** First-party applications are the operator's: only operator ADMINs register or mark them. */
  isFirstParty: boolean;
}

export interface ActingRoles {
  roles: ReadonlyMap<string, Role>;
  /** ADMIN of the operator organization, and the token acts there. */
  isOperator: boolean;
}

const NOWHERE: ActingRoles = { roles: new Map(), isOperator: false };

/** Rule `tenancy.token_acts_in_its_application_organization`. */
export function actingRoles(person: PersonRoles, app: IssuingApplication): ActingRoles {
  let roles: ReadonlyMap<string, Role>;
  if (app.isFirstParty) {
    roles = person.roles;
  } else if (app.organizationId) {
    const role = person.roles.get(app.organizationId);
    if (!role) return NOWHERE;
    roles = new Map([[app.organizationId, role]]);
  } else {
    return NOWHERE;
  }
  const operator = person.operatorOrganizationId;
  return { roles, isOperator: operator !== null && roles.get(operator) === "ADMIN" };
}

/** Whether tokens of this application act in every organization of the person (the operator's first-party apps). */
export function actsInEveryOrganization(app: IssuingApplication): boolean {
  return app.isFirstParty;
}
