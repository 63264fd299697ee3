// The admin API's scope-auth vocabulary: which token scope each auth scope stands for, and
// the ForbiddenError a refusal becomes. Scope names say what they allow, not which OAuth
// scope string grants it, so fields read as policy.
import { AuthScopeFailureType, type AuthFailure } from "@pothos/plugin-scope-auth";
import { ForbiddenError } from "../errors.ts";
import { MANAGE_SCOPE, READ_SCOPE, type Principal } from "../access/principal.ts";
import { hasRegistryScope } from "../access/policy.ts";

export interface RegistryScopes {
  /** connect.applications.read (or manage, which implies it). */
  readRegistry: boolean;
  /** connect.applications.manage. */
  manageRegistry: boolean;
}

const TOKEN_SCOPE: Record<keyof RegistryScopes, string> = {
  readRegistry: READ_SCOPE,
  manageRegistry: MANAGE_SCOPE,
};

export function registryScopes(principal: Principal): RegistryScopes {
  return { readRegistry: hasRegistryScope(principal, "read"), manageRegistry: hasRegistryScope(principal, "manage") };
}

/** The first auth scope that failed names the token scope the caller lacks. */
export function unauthorizedError(failure: AuthFailure): ForbiddenError {
  const scope = firstFailedScope(failure);
  return new ForbiddenError(scope && scope in TOKEN_SCOPE ? TOKEN_SCOPE[scope as keyof RegistryScopes] : MANAGE_SCOPE);
}

function firstFailedScope(failure: AuthFailure): string | null {
  if (failure.kind === AuthScopeFailureType.AuthScope) return failure.scope;
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) {
    for (const inner of failure.failures) {
      const scope = firstFailedScope(inner);
      if (scope) return scope;
    }
  }
  return null;
}
