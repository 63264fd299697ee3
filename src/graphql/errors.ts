// Typed errors as union members of every mutation result (the shared Error interface pattern).
import { ForbiddenError, NotFoundError, ValidationError } from "../applications/errors.ts";
import { builder } from "./builder.ts";

export const ErrorInterface = builder.interfaceRef<Error>("Error").implement({
  fields: (t) => ({ message: t.exposeString("message") }),
});

export const FieldErrorRef = builder.objectRef<{ path: string[]; message: string }>("FieldError").implement({
  description: "One broken rule; path names the input field, e.g. [\"redirectUris\", \"1\", \"uri\"].",
  fields: (t) => ({
    path: t.exposeStringList("path"),
    message: t.exposeString("message"),
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
