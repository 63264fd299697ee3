// Typed errors as union members of every mutation result (the shared Error interface pattern).
import { ForbiddenError, NotFoundError, ValidationError } from "../errors.ts";
import type { FieldError } from "../applications/rules.ts";
import { builder } from "./builder.ts";

export const ErrorInterface = builder.interfaceRef<Error & { code: string }>("Error").implement({
  fields: (t) => ({
    message: t.exposeString("message", { description: "For people; the wording may change." }),
    code: t.exposeString("code", { description: "Stable, for programs: validation_failed, forbidden or not_found." }),
  }),
});

export const FieldErrorRef = builder.objectRef<FieldError>("FieldError").implement({
  description: "One broken rule; path names the input field, e.g. [\"redirectUris\", \"1\", \"uri\"].",
  fields: (t) => ({
    path: t.exposeStringList("path"),
    message: t.exposeString("message", { description: "For people; the wording may change." }),
    code: t.exposeString("code", { description: "Stable, names the rule, e.g. redirect_uri_https_required or name_taken." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ fieldErrors: t.field({ type: [FieldErrorRef], resolve: (e) => e.fieldErrors }) }),
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ requiredScope: t.exposeString("requiredScope") }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "The object does not exist or belongs to another organization; the two are indistinguishable.",
  interfaces: [ErrorInterface],
});

export const MUTATION_ERRORS = [ValidationError, ForbiddenError, NotFoundError];
