// The scope plugin contract: the one module a hub author imports, as "scopekeeper/catalog".
//
//   import { defineHub } from "scopekeeper/catalog";
//   export default defineHub({ id: "knowledge", name: "Knowledge", ... });
//
// Types check literal input as far as TypeScript can (scope names carry the hub prefix, kinds
// is non-empty, on-behalf-of scopes are DELEGATED only, no unknown fields); the server checks
// everything again when it loads the catalog, because plugins may also be plain JavaScript.
import { brandHub, HUB_BRAND, isHubDefinition } from "./brand.ts";

export { HUB_BRAND, isHubDefinition };

/** DELEGATED: the application acts for a signed-in user. APPLICATION: it acts as itself. */
export type PermissionKind = "DELEGATED" | "APPLICATION";

export const PERMISSION_KINDS: readonly PermissionKind[] = Object.freeze(["DELEGATED", "APPLICATION"]);

interface ScopeText {
  /** Admin-facing: what the permission allows, shown in the admin console and `catalog list`. */
  readonly description: string;
  /** User-facing sentence for the consent screen, e.g. "Read your knowledge portals". */
  readonly consent: string;
  /** Only an administrator may grant it for delegated use; users cannot consent themselves. */
  readonly adminConsentRequired?: boolean;
}

/** A scope as a plugin author writes it; `Id` is the hub id, which prefixes every name. */
export type ScopeInput<Id extends string = string> = ScopeText & {
  /** `<hub id>.<resource>[.<more>].<action>`, e.g. "knowledge.portalmgr.read". */
  readonly name: `${Id}.${string}`;
} & (
    | {
        /** Which grants may carry it; at least one. */
        readonly kinds: readonly [PermissionKind, ...PermissionKind[]];
        readonly onBehalfOf?: false;
      }
    | {
        /** On-behalf-of scopes are delegated permissions only. */
        readonly kinds: readonly ["DELEGATED"];
        /** A delegated permission usable only through the on-behalf-of flow. */
        readonly onBehalfOf: true;
      }
  );

/** A hub as a plugin author writes it. */
export interface HubInput<Id extends string = string> {
  /** Lower-case, `^[a-z][a-z0-9-]*$`; also the prefix of every scope name. "connect" is reserved. */
  readonly id: Id;
  /** Display name, e.g. "Conversation Hub". */
  readonly name: string;
  /** Admin-facing summary of what the hub's APIs cover. */
  readonly description: string;
  /**
   * Absolute URI of the resource server its tokens are for (the `aud` claim). Optional: without
   * it (and without SCOPEKEEPER_API_BASE_URL or SCOPEKEEPER_HUB_AUDIENCE_<HUB_ID>), the hub's
   * audience is `<ISSUER>/hubs/<id>`.
   */
  readonly audience?: string;
  /** In the order the admin console should show them. */
  readonly scopes: readonly ScopeInput<NoInfer<Id>>[];
}

/** A scope of a defined hub (the loose shape the loader validates). */
export interface ScopeDefinition {
  readonly name: string;
  readonly description: string;
  readonly consent: string;
  readonly kinds: readonly PermissionKind[];
  readonly onBehalfOf?: boolean;
  readonly adminConsentRequired?: boolean;
}

/** What defineHub() returns: the hub, frozen and branded so the loader recognises it. */
export interface HubDefinition<Id extends string = string> {
  readonly [HUB_BRAND]: true;
  readonly id: Id;
  readonly name: string;
  readonly description: string;
  /** Absent: the deployment's setting or `<ISSUER>/hubs/<id>` (see src/catalog/audiences.ts). */
  readonly audience?: string;
  readonly scopes: readonly ScopeDefinition[];
}

/** Declares a hub. Default-export the result from the plugin's index.ts (or package entry). */
export function defineHub<const Id extends string>(hub: HubInput<Id>): HubDefinition<Id> {
  return brandHub(hub as unknown as Omit<HubDefinition<Id>, typeof HUB_BRAND>);
}
