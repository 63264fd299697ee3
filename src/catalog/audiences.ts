// A deployment's own API URLs as the hubs' audiences. A plugin's `audience` is only its
// default (the bundled hubs say https://api.example.com/<hub>); the operator sets the real
// ones with SCOPEKEEPER_API_BASE_URL (every hub at <base>/<hub id>) or, for one hub,
// SCOPEKEEPER_HUB_AUDIENCE_<HUB_ID>, which wins over the base URL.
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

/** Hubs with the deployment's audiences, plus a line for every setting that names no hub. */
export function applyAudiences(hubs: readonly LoadedHub[], settings: AudienceSettings | undefined): { hubs: LoadedHub[]; errors: string[] } {
  if (!settings) return { hubs: [...hubs], errors: [] };
  const perHub = settings.perHub ?? {};
  const used = new Set<string>();
  const out = hubs.map((loaded) => {
    const definition = loaded.definition as { id?: unknown; audience?: unknown };
    if (typeof definition.id !== "string") return loaded;
    const suffix = hubVariableSuffix(definition.id);
    const own = perHub[suffix];
    if (own !== undefined) used.add(suffix);
    const audience = own ?? (settings.apiBaseUrl ? `${settings.apiBaseUrl}/${definition.id}` : undefined);
    return audience === undefined ? loaded : { ...loaded, definition: { ...loaded.definition, audience } };
  });
  const known = hubs.map((h) => (h.definition as { id?: unknown }).id).filter((id): id is string => typeof id === "string");
  const errors = Object.keys(perHub)
    .filter((suffix) => !used.has(suffix))
    .map((suffix) => `${HUB_AUDIENCE_PREFIX}${suffix} names no hub (hubs: ${known.join(", ") || "none"})`);
  return { hubs: out, errors };
}
