// A deployment's own API URLs as the hubs' audiences (a token's `aud`), first match wins:
//   1. SCOPEKEEPER_HUB_AUDIENCE_<HUB_ID>, for one hub;
//   2. SCOPEKEEPER_API_BASE_URL, every plugin hub at <base>/<hub id>;
//   3. the plugin's own `audience`, when it declares one (a hub shipped with its API's URL);
//   4. otherwise <ISSUER>/hubs/<hub id>: an identifier under the operator's own issuer, so that
//      a token of one deployment is never meant for another's APIs (the bundled hubs declare
//      none: they cannot know where a deployment runs its APIs).
import type { LoadedHub } from "./registry.ts";

export interface AudienceSettings {
  /** Every plugin hub's audience becomes `${apiBaseUrl}/${hub id}`. */
  apiBaseUrl?: string | undefined;
  /** Keyed by the environment variable's suffix: the hub id upper-cased, other characters as `_`. */
  perHub?: Readonly<Record<string, string>> | undefined;
}

export const HUB_AUDIENCE_PREFIX = "SCOPEKEEPER_HUB_AUDIENCE_";

/** The suffix of a hub's variable: `conversation-hub` -> `CONVERSATION_HUB`. */
export function hubVariableSuffix(hubId: string): string {
  return hubId.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** The audience of a hub that declares none and is not configured: under the issuer. */
export function defaultHubAudience(issuer: string, hubId: string): string {
  return `${issuer.replace(/\/+$/, "")}/hubs/${hubId}`;
}

/** Hubs with the deployment's audiences, plus a line for every setting that names no hub. */
export function applyAudiences(
  hubs: readonly LoadedHub[],
  settings: AudienceSettings | undefined,
  issuer: string,
): { hubs: LoadedHub[]; errors: string[] } {
  settings ??= {};
  const perHub = settings.perHub ?? {};
  const used = new Set<string>();
  const out = hubs.map((loaded) => {
    const definition = loaded.definition as { id?: unknown; audience?: unknown };
    if (typeof definition.id !== "string") return loaded;
    const suffix = hubVariableSuffix(definition.id);
    const own = perHub[suffix];
    if (own !== undefined) used.add(suffix);
    const declared = definition.audience === undefined ? defaultHubAudience(issuer, definition.id) : undefined;
    const audience = own ?? (settings.apiBaseUrl ? `${settings.apiBaseUrl}/${definition.id}` : declared);
    return audience === undefined ? loaded : { ...loaded, definition: { ...loaded.definition, audience } };
  });
  const known = hubs.map((h) => (h.definition as { id?: unknown }).id).filter((id): id is string => typeof id === "string");
  const errors = Object.keys(perHub)
    .filter((suffix) => !used.has(suffix))
    .map((suffix) => `${HUB_AUDIENCE_PREFIX}${suffix} names no hub (hubs: ${known.join(", ") || "none"})`);
  return { hubs: out, errors };
}
