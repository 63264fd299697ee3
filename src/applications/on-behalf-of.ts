// Rules of the on-behalf-of switches on an application.
import type { FieldError } from "./rules.ts";

/**
 * On-behalf-of by name lets an app act for a member without any token of theirs, so it is off
 * by default and rides on onBehalfOfEnabled: it issues the same on-behalf-of scopes.
 */
export function namedSubjectsErrors(namedSubjects: boolean, onBehalfOfEnabled: boolean): FieldError[] {
  if (namedSubjects && !onBehalfOfEnabled) {
    return [{ path: ["onBehalfOfNamedSubjects"], message: "needs onBehalfOfEnabled: turn both on, or turn this off first" }];
  }
  return [];
}
