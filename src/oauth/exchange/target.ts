// RFC 8707 `resource` and RFC 8693 `audience` on token exchange: they select which hub the new
// token is for and can only narrow it. Every requested scope must belong to the named
// audience; a name that is no hub's audience, or a scope of another hub, is invalid_target.
import type { Catalog } from "../../catalog/index.ts";
import { InvalidTarget } from "../errors.ts";

export function checkTarget(catalog: Catalog, scopes: readonly string[], params: { resource?: string; audience?: string }): void {
  const targets = [...new Set([params.resource, params.audience].filter((v): v is string => Boolean(v)))];
  if (targets.length === 0) return;
  if (targets.length > 1) throw new InvalidTarget("resource and audience name different targets; a token is for one");
  const target = targets[0]!;
  const outside: string[] = [];
  let known = false;
  for (const name of scopes) {
    const audience = catalog.scope(name)?.hub.audience;
    if (audience === target) known = true;
    else outside.push(name);
  }
  if (outside.length > 0) {
    throw new InvalidTarget(
      known
        ? `these scopes are not for ${target}: ${outside.join(" ")}; request them in a separate token`
        : `${target} is not the audience of the requested scopes; name the hub audience they belong to`,
    );
  }
}

/**
 * RFC 8707 `resource` at the other grants (client credentials, authorization code, refresh): a
 * resource that none of the token's scopes belongs to is invalid_target, never silently ignored.
 */
export function checkResource(catalog: Catalog, scopes: readonly string[], resource: string | undefined): void {
  if (resource === undefined) return;
  if (!scopes.some((name) => catalog.scope(name)?.hub.audience === resource)) {
    throw new InvalidTarget(`${resource} is not the audience of any requested scope; name the hub audience they belong to, or leave resource out`);
  }
}
