// The catalog's validation core: definitions in, one frozen, indexed Catalog out, or one
// CatalogError listing every problem. Pure: no file system, no imports of plugins.
import { isHubDefinition } from "./brand.ts";
import { BUILT_IN_HUB_ID, BUILT_IN_SOURCE, builtInHub } from "./builtin.ts";
import type { HubDefinition, PermissionKind } from "./public.ts";

export type { PermissionKind } from "./public.ts";

export interface CatalogScope {
  readonly name: string;
  /** Admin-facing description. */
  readonly description: string;
  /** User-facing sentence for the consent screen. */
  readonly consent: string;
  readonly kinds: readonly PermissionKind[];
  /** A delegated permission usable only through the on-behalf-of flow. */
  readonly onBehalfOf: boolean;
  readonly adminConsentRequired: boolean;
  /** Owned by the server (hub "connect"), not by a plugin. */
  readonly builtIn: boolean;
  readonly hub: CatalogHub;
}

export interface CatalogHub {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** Absolute URI of the resource server its tokens are for (the `aud` claim). */
  readonly audience: string;
  readonly builtIn: boolean;
  /** In declaration order. */
  readonly scopes: readonly CatalogScope[];
  /** Plugin folder (relative to the project root when inside it), module specifier, or "built-in". */
  readonly source: string;
}

export interface Catalog {
  /** "connect" first, then by id. */
  readonly hubs: readonly CatalogHub[];
  /** Every scope, in hub order, then declaration order. */
  readonly scopes: readonly CatalogScope[];
  hub(id: string): CatalogHub | undefined;
  scope(name: string): CatalogScope | undefined;
}

/** A hub as loaded, with where it came from (used in messages). */
export interface LoadedHub {
  definition: HubDefinition;
  source: string;
}

/** Every problem found while loading the catalog, one line each. */
export class CatalogError extends Error {
  override name = "CatalogError";
  readonly errors: string[];
  constructor(errors: readonly string[]) {
    super(errors.join("\n"));
    this.errors = [...errors];
  }
}

export const HUB_ID_PATTERN = /^[a-z][a-z0-9-]*$/;
export const SCOPE_NAME_PATTERN = /^[a-z][a-z0-9]*(\.[a-z0-9_-]+)+$/;
const KINDS: readonly string[] = ["DELEGATED", "APPLICATION"];
const HUB_FIELDS = new Set(["id", "name", "description", "audience", "scopes"]);
const SCOPE_FIELDS = new Set(["name", "description", "consent", "kinds", "onBehalfOf", "adminConsentRequired"]);

/** Validates the hubs (plus the built-in one) and builds the catalog; throws CatalogError. */
export function buildCatalog(issuer: string, hubs: ReadonlyArray<LoadedHub>): Catalog {
  return assembleCatalog(issuer, hubs, []);
}

/** buildCatalog, reporting `earlier` (load errors) together with the validation errors. */
export function assembleCatalog(issuer: string, hubs: ReadonlyArray<LoadedHub>, earlier: readonly string[]): Catalog {
  const errors = [...earlier];
  const accepted: Array<{ definition: HubDefinition; source: string; builtIn: boolean }> = [];

  const builtIn = builtInHub(issuer);
  if (!isAbsoluteUrl(issuer, ["http:", "https:"])) {
    errors.push(`${BUILT_IN_SOURCE} (hub "${BUILT_IN_HUB_ID}"): the issuer ${q(issuer)} is not an absolute http(s) URL`);
  }
  accepted.push({ definition: builtIn, source: BUILT_IN_SOURCE, builtIn: true });

  const hubOwners = new Map<string, string>(); // hub id -> source
  const scopeOwners = new Map<string, string>(); // scope name -> "<source> (hub "<id>")"
  const builtInNames = new Set(builtIn.scopes.map((s) => s.name));

  for (const { definition, source } of hubs) {
    const loose: unknown = definition;
    if (!isHubDefinition(loose)) {
      errors.push(`${source}: ${notAHub(loose)}`);
      continue;
    }
    const hub = loose as unknown as Record<string, unknown>;
    const id = hub.id;
    const hasId = typeof id === "string" && id !== "";
    const label = hasId ? `${source} (hub ${q(id)})` : source;
    const problem = (message: string) => errors.push(`${label}: ${message}`);

    // Hub id. A hub that cannot be registered is still checked, but its scopes take no part
    // in duplicate detection (they would only repeat the hub-level error).
    let register = false;
    let prefix: string | undefined; // "<id>." when the id is usable as a prefix
    if (!hasId) problem("is missing an id");
    else if (!HUB_ID_PATTERN.test(id)) problem(`hub id ${q(id)} is malformed: it must match ${HUB_ID_PATTERN.source}`);
    else {
      prefix = `${id}.`;
      if (id === BUILT_IN_HUB_ID) problem(`hub id ${q(id)} is reserved for the server's built-in hub`);
      else if (hubOwners.has(id)) errors.push(`duplicate hub id ${q(id)}: declared by ${hubOwners.get(id)} and ${source}`);
      else {
        hubOwners.set(id, source);
        register = true;
      }
    }

    for (const key of Object.keys(hub)) if (!HUB_FIELDS.has(key)) problem(`has an unknown field ${q(key)}`);
    if (!isText(hub.name)) problem("is missing a name");
    if (!isText(hub.description)) problem("is missing a description");
    if (!isText(hub.audience)) problem("is missing an audience (the absolute URL of its resource server)");
    else if (!isAbsoluteUrl(hub.audience, ["http:", "https:", "urn:"])) {
      problem(`audience ${q(hub.audience)} is not an absolute URL (https://... or urn:...) without a fragment`);
    }

    if (!Array.isArray(hub.scopes)) {
      problem("scopes must be an array");
      continue;
    }
    // The id pattern allows "-", the first segment of a scope name does not: say so once.
    const hyphenated = prefix !== undefined && prefix.includes("-") && hub.scopes.length > 0;
    if (hyphenated) {
      problem(`hub id ${q(id)} contains "-", which the first segment of a scope name cannot (${SCOPE_NAME_PATTERN.source}); a hub with scopes needs an id without "-"`);
    }

    const seen = new Set<string>();
    hub.scopes.forEach((entry: unknown, index: number) => {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
        problem(`scope #${index + 1} is not an object`);
        return;
      }
      const scope = entry as Record<string, unknown>;
      const name = scope.name;
      const hasName = typeof name === "string" && name !== "";
      const what = hasName ? `scope ${q(name)}` : `scope #${index + 1}`;

      for (const key of Object.keys(scope)) if (!SCOPE_FIELDS.has(key)) problem(`${what} has an unknown field ${q(key)}`);

      let reserved = false;
      if (!hasName) problem(`${what} is missing a name`);
      else if (builtInNames.has(name)) {
        reserved = true;
        problem(`${what} is reserved: it is a built-in scope of the server`);
      } else if (!SCOPE_NAME_PATTERN.test(name) && !(hyphenated && prefix !== undefined && name.startsWith(prefix) && SCOPE_NAME_PATTERN.test(`x.${name.slice(prefix.length)}`))) {
        problem(`${what} is malformed: it must match ${SCOPE_NAME_PATTERN.source}`);
      } else if (prefix !== undefined && !name.startsWith(prefix)) {
        problem(`${what} must start with ${q(prefix)}`);
      }

      if (!isText(scope.description)) problem(`${what} is missing a description`);
      if (!isText(scope.consent)) problem(`${what} is missing consent text`);

      const kinds = scope.kinds;
      if (!Array.isArray(kinds)) problem(`${what} is missing kinds (an array of DELEGATED and/or APPLICATION)`);
      else if (kinds.length === 0) problem(`${what} has no kinds (expected DELEGATED and/or APPLICATION)`);
      else {
        const listed = new Set<unknown>();
        for (const kind of kinds) {
          if (!KINDS.includes(kind as string)) problem(`${what} has an unknown kind ${q(kind)} (expected DELEGATED or APPLICATION)`);
          else if (listed.has(kind)) problem(`${what} lists the kind ${q(kind)} twice`);
          listed.add(kind);
        }
      }

      if (scope.onBehalfOf !== undefined && typeof scope.onBehalfOf !== "boolean") {
        problem(`${what}: onBehalfOf must be true or left out`);
      } else if (scope.onBehalfOf === true && !(Array.isArray(kinds) && kinds.length === 1 && kinds[0] === "DELEGATED")) {
        problem(`${what} is on-behalf-of, so its kinds must be exactly ["DELEGATED"]`);
      }
      if (scope.adminConsentRequired !== undefined && typeof scope.adminConsentRequired !== "boolean") {
        problem(`${what}: adminConsentRequired must be a boolean`);
      }

      if (!hasName || reserved) return;
      if (seen.has(name)) {
        problem(`${what} is declared twice`);
        return;
      }
      seen.add(name);
      if (!register) return;
      const owner = scopeOwners.get(name);
      if (owner !== undefined) errors.push(`duplicate scope ${q(name)}: declared by ${owner} and ${label}`);
      else scopeOwners.set(name, label);
    });

    if (register) accepted.push({ definition: loose, source, builtIn: false });
  }

  if (errors.length > 0) throw new CatalogError(errors);
  return freezeCatalog(accepted);
}

function freezeCatalog(entries: ReadonlyArray<{ definition: HubDefinition; source: string; builtIn: boolean }>): Catalog {
  const hubs = entries.map(({ definition, source, builtIn }) => {
    const scopes: CatalogScope[] = [];
    const hub: CatalogHub = {
      id: definition.id,
      name: definition.name,
      description: definition.description,
      audience: definition.audience!, // checked above: applyAudiences gives every loaded hub one
      builtIn,
      scopes,
      source,
    };
    for (const s of definition.scopes) {
      scopes.push(
        Object.freeze({
          name: s.name,
          description: s.description,
          consent: s.consent,
          kinds: Object.freeze([...s.kinds]),
          onBehalfOf: s.onBehalfOf === true,
          adminConsentRequired: s.adminConsentRequired === true,
          builtIn,
          hub,
        }),
      );
    }
    Object.freeze(scopes);
    return Object.freeze(hub);
  });
  hubs.sort((a, b) => (a.builtIn !== b.builtIn ? (a.builtIn ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const hubIndex = new Map(hubs.map((h) => [h.id, h] as const));
  const scopes = hubs.flatMap((h) => h.scopes);
  const scopeIndex = new Map(scopes.map((s) => [s.name, s] as const));
  return Object.freeze({
    hubs: Object.freeze(hubs),
    scopes: Object.freeze(scopes),
    hub: (id: string) => hubIndex.get(id),
    scope: (name: string) => scopeIndex.get(name),
  });
}

/** Why a value is not a defineHub() result, for messages. */
export function notAHub(value: unknown): string {
  if (value === undefined) return "has no default export (expected `export default defineHub({ ... })`)";
  return `the default export is not a defineHub() result (got ${describe(value)}); wrap the hub in defineHub({ ... })`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return "a plain object";
    const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof ctor === "string" && ctor !== "" ? `an instance of ${ctor}` : "an object";
  }
  return typeof value === "string" ? "a string" : `a ${typeof value}`;
}

function isText(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

function isAbsoluteUrl(value: string, protocols: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (!protocols.includes(url.protocol) || value.includes("#")) return false;
  return url.protocol === "urn:" ? /^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(value) : url.host !== "";
}

function q(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
