// Domain errors. GraphQL renders them as the union members of each mutation's result. Each
// has a stable `code` for programs; the message is for people and may change.
import type { FieldError } from "./rules.ts";

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
  readonly code = "forbidden";
  readonly requiredScope: string;
  /** A refusal that is not about the token's scopes (a role, say) says so in its own message. */
  constructor(requiredScope: string, message?: string) {
    super(message ?? `this token lacks the scope ${requiredScope}`);
    this.requiredScope = requiredScope;
  }
}

export function assertValid(errors: FieldError[]): void {
  if (errors.length > 0) throw new ValidationError(errors);
}
