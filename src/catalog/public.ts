// The scope plugin contract: the one module a hub author imports, as "scopekeeper/catalog".
//
//   import { defineHub } from "scopekeeper/catalog";
//   export default defineHub({ id: "knowledge", name: "Knowledge", ... });
//
// Types check literal input as far as TypeScript can (scope names carry the hub prefix, kinds
// is non-empty, on-behalf-of scopes are DELEGATED only, no unknown fields); the server checks
// everything again when it loads the catalog, because plugins may also be plain JavaScript.
import { brandHub, isHubDefinition } from "./brand.ts";
import { HUB_BRAND, type HubDefinition, type HubInput } from "./definition.ts";

export { HUB_BRAND, isHubDefinition };
export { PERMISSION_KINDS } from "./definition.ts";
export type { HubDefinition, HubInput, PermissionKind, ScopeDefinition, ScopeInput } from "./definition.ts";

/** Declares a hub. Default-export the result from the plugin's index.ts (or package entry). */
export function defineHub<const Id extends string>(hub: HubInput<Id>): HubDefinition<Id> {
  return brandHub(hub as unknown as Omit<HubDefinition<Id>, typeof HUB_BRAND>);
}
