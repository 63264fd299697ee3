// Domain errors. GraphQL renders them as the union members of each mutation's result. Each
// has a stable `code` for programs; the message is for people and may change.

/** One broken rule: path names the input field, code names the rule (stable, for programs). */
export interface FieldError {
  path: string[];
  message: string;
  code: string;
}

export class ValidationError extends Error {
  override name = "ValidationError";
  readonly code = "validation_failed";
  readonly fieldErrors: FieldError[];
  constructor(fieldErrors: FieldError[], message?: string) {
    super(message ?? fieldErrors.map((e) => `${e.path.join(".")}: ${e.message}`).join("; "));
    this.fieldErrors = fieldErrors;
  }
}

/** Also used for another organization's objects, so their existence never leaks. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
  readonly code = "not_found";
  constructor(what = "application") {
    super(`no ${what} with that id`);
  }
}

export class ForbiddenError extends Error {
  override name = "ForbiddenError";
  /** `forbidden` for a missing scope; a rule's own code (e.g. person_in_other_organizations) otherwise. */
  readonly code: string;
  readonly requiredScope: string;
  /** A refusal that is not about the token's scopes (a role, say) says so in its own message and code. */
  constructor(requiredScope: string, message?: string, code = "forbidden") {
    super(message ?? `this token lacks the scope ${requiredScope}`);
    this.requiredScope = requiredScope;
    this.code = code;
  }
}

export function assertValid(errors: FieldError[]): void {
  if (errors.length > 0) throw new ValidationError(errors);
}
