// The plugin contract's types and the brand symbol, with no imports: the contract module
// (public.ts) and the internal brand helpers (brand.ts) both build on it without a cycle.

/**
 * A registered symbol (Symbol.for), so a hub built against another copy of the contract
 * module (an npm package with its own copy of scopekeeper) is still recognised.
 */
export const HUB_BRAND: unique symbol = Symbol.for("scopekeeper.catalog.hub");

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
