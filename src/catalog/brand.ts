// Internal: the brand that marks defineHub() results. Not part of the plugin contract.
import { HUB_BRAND, type HubDefinition } from "./definition.ts";

export { HUB_BRAND };

/** True for a defineHub() result (from any copy of the contract module). */
export function isHubDefinition(value: unknown): value is HubDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[HUB_BRAND] === true;
}

/**
 * Brands without the type-level checks of defineHub (the server's own hub uses it: its
 * OpenID names are exempt from the prefix rule). Copies and freezes the definition, so a
 * plugin cannot change its hub after loading. Validation is the loader's job, so any shape
 * is accepted and kept as it is.
 */
export function brandHub<Id extends string>(hub: Omit<HubDefinition<Id>, typeof HUB_BRAND>): HubDefinition<Id> {
  const input: unknown = hub;
  const source = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const scopes = Array.isArray(source.scopes)
    ? Object.freeze(
        source.scopes.map((s: unknown) => {
          if (typeof s !== "object" || s === null) return s;
          const scope = s as Record<string, unknown>;
          return Object.freeze({ ...scope, kinds: Array.isArray(scope.kinds) ? Object.freeze([...scope.kinds]) : scope.kinds });
        }),
      )
    : source.scopes;
  return Object.freeze({ ...source, scopes, [HUB_BRAND]: true as const }) as unknown as HubDefinition<Id>;
}
