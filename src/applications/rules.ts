// The domain rules for connect applications, written once and used by GraphQL, the CLI and
// the OAuth endpoints alike. Each rule reports a FieldError whose path names the input field.
import type { Catalog, PermissionKind } from "../catalog/index.ts";

export type ApplicationType = "OAUTH" | "M2M";
export type Platform = "WEB" | "SPA" | "NATIVE";
export const APPLICATION_TYPES: readonly ApplicationType[] = ["OAUTH", "M2M"];
export const PLATFORMS: readonly Platform[] = ["WEB", "SPA", "NATIVE"];
export const PERMISSION_KINDS: readonly PermissionKind[] = ["DELEGATED", "APPLICATION"];

export interface FieldError {
  path: string[];
  message: string;
}

export const LIMITS = {
  nameMax: 100,
  descriptionMax: 1000,
  redirectUrisMax: 20,
  uriMax: 2000,
  secretDescriptionMax: 100,
  secretExpiresInDaysMax: 730,
  activeSecretsMax: 5,
  tokenExchangeTtlMin: 60,
  tokenExchangeTtlMax: 86400,
  tokenExchangeTtlDefault: 3600,
} as const;

export const CLIENT_CODE_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

/** WEB apps and M2M apps keep secrets; SPA and NATIVE apps run where secrets cannot be kept. */
export function isConfidential(type: ApplicationType, platform: Platform | null): boolean {
  return type === "M2M" || platform === "WEB" || platform === null;
}

/** The fields of an application after defaults, as the rules see them. */
export interface ApplicationShape {
  name: string;
  description: string | null;
  applicationType: ApplicationType;
  platform: Platform | null;
  redirectUris: { uri: string; default: boolean }[];
  postLogoutRedirectUris: string[];
  usesPkce: boolean;
  isFirstParty: boolean;
  organizationId: string | null;
  clientCode: string | null;
  logoUri: string | null;
  termsOfServiceUri: string | null;
  privacyPolicyUri: string | null;
  onBehalfOfEnabled: boolean;
  tokenExchange: { enabled: boolean; accessTokenTtlSeconds: number };
}

/** What an admin sent: anything may be missing or null. */
export interface ApplicationInput {
  name?: string | null;
  description?: string | null;
  applicationType?: string | null;
  platform?: string | null;
  redirectUris?: { uri: string; default?: boolean | null }[] | null;
  postLogoutRedirectUris?: string[] | null;
  usesPkce?: boolean | null;
  isFirstParty?: boolean | null;
  organizationId?: string | null;
  clientCode?: string | null;
  logoUri?: string | null;
  termsOfServiceUri?: string | null;
  privacyPolicyUri?: string | null;
  onBehalfOfEnabled?: boolean | null;
  tokenExchange?: { enabled?: boolean | null; accessTokenTtlSeconds?: number | null } | null;
}

type UriUse = "redirect" | "link";

/** RFC 6749 §3.1.2, RFC 8252 §7 and RFC 9700 §4.1: exact, absolute, https-only redirect URIs. */
export function checkUri(uri: string, use: UriUse, platform: Platform | null): string | null {
  if (uri.length === 0) return "must not be empty";
  if (uri.length > LIMITS.uriMax) return `must be at most ${LIMITS.uriMax} characters`;
  if (/\s/.test(uri)) return "must not contain whitespace";
  if (uri.includes("*")) return "must not contain wildcards";
  if (uri.includes("#")) return "must not contain a fragment";
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "must be an absolute URI";
  }
  if (url.username || url.password) return "must not contain user information";
  if (url.protocol === "https:") return url.hostname ? null : "must name a host";
  if (use === "redirect" && platform === "NATIVE") {
    if (url.protocol === "http:") {
      return url.hostname === "127.0.0.1" || url.hostname === "[::1]"
        ? null
        : "must use https, or http only on the loopback addresses 127.0.0.1 and [::1]";
    }
    // RFC 8252 §7.1: private-use schemes are reverse domain names, e.g. com.example.app:/cb
    const scheme = url.protocol.slice(0, -1);
    if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return null;
    return "must use https, http on a loopback address, or a private-use scheme such as com.example.app:/callback";
  }
  return "must use https";
}

/** Applies creation defaults to an input; the result still has to pass validateApplication. */
export function shapeFromInput(input: ApplicationInput, base?: ApplicationShape): ApplicationShape {
  const pick = <K extends keyof ApplicationInput & keyof ApplicationShape>(key: K, fallback: ApplicationShape[K]) =>
    (input[key] === undefined ? (base ? base[key] : fallback) : (input[key] ?? fallback)) as ApplicationShape[K];
  const applicationType = (input.applicationType ?? base?.applicationType ?? "OAUTH") as ApplicationType;
  const platform =
    applicationType === "M2M"
      ? ((input.platform ?? null) as Platform | null)
      : ((input.platform ?? base?.platform ?? "WEB") as Platform);
  const redirectUris =
    input.redirectUris === undefined
      ? (base?.redirectUris ?? [])
      : markDefault((input.redirectUris ?? []).map((r) => ({ uri: r.uri, default: r.default ?? false })));
  const te = input.tokenExchange;
  return {
    name: (input.name ?? base?.name ?? "").trim(),
    description: pick("description", null),
    applicationType,
    platform,
    redirectUris,
    postLogoutRedirectUris: pick("postLogoutRedirectUris", []),
    usesPkce: pick("usesPkce", platform === "SPA" || platform === "NATIVE"),
    isFirstParty: pick("isFirstParty", false),
    organizationId: pick("organizationId", null),
    clientCode: pick("clientCode", null),
    logoUri: pick("logoUri", null),
    termsOfServiceUri: pick("termsOfServiceUri", null),
    privacyPolicyUri: pick("privacyPolicyUri", null),
    onBehalfOfEnabled: pick("onBehalfOfEnabled", false),
    tokenExchange: {
      enabled: te?.enabled ?? base?.tokenExchange.enabled ?? false,
      accessTokenTtlSeconds:
        te?.accessTokenTtlSeconds ?? base?.tokenExchange.accessTokenTtlSeconds ?? LIMITS.tokenExchangeTtlDefault,
    },
  };
}

/** None marked default: the first is. Several marked: left for validation to refuse. */
function markDefault(uris: { uri: string; default: boolean }[]) {
  if (uris.length > 0 && !uris.some((u) => u.default)) uris[0]!.default = true;
  return uris;
}

/**
 * Checks an application against every registration rule. `input` is what was sent (to tell an
 * explicit value from a default), `shape` the application as it would be stored.
 */
export function validateApplication(input: ApplicationInput, shape: ApplicationShape, isCreate: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (path: (string | number)[], message: string) => errors.push({ path: path.map(String), message });

  if (shape.name.length < 1 || shape.name.length > LIMITS.nameMax) fail(["name"], `must be 1-${LIMITS.nameMax} characters`);
  if (shape.description && shape.description.length > LIMITS.descriptionMax) {
    fail(["description"], `must be at most ${LIMITS.descriptionMax} characters`);
  }
  if (isCreate && !input.applicationType) fail(["applicationType"], "is required: OAUTH or M2M");
  if (!APPLICATION_TYPES.includes(shape.applicationType)) fail(["applicationType"], "must be OAUTH or M2M");

  if (shape.applicationType === "M2M") {
    if (!shape.organizationId) fail(["organizationId"], "is required for M2M applications");
    if (shape.redirectUris.length > 0) fail(["redirectUris"], "M2M applications take no redirect URIs");
    if (shape.postLogoutRedirectUris.length > 0) fail(["postLogoutRedirectUris"], "M2M applications take no post-logout redirect URIs");
    if (input.platform != null) fail(["platform"], "M2M applications have no platform");
    if (input.usesPkce != null) fail(["usesPkce"], "M2M applications do not use PKCE");
    if (input.onBehalfOfEnabled) fail(["onBehalfOfEnabled"], "is only for WEB applications");
  } else {
    if (isCreate && input.isFirstParty == null) fail(["isFirstParty"], "is required for OAUTH applications");
    if (!shape.isFirstParty && !shape.organizationId) {
      fail(["organizationId"], "is required for OAUTH applications that are not first-party");
    }
    if (shape.platform && !PLATFORMS.includes(shape.platform)) fail(["platform"], "must be WEB, SPA or NATIVE");
    const isPublic = shape.platform === "SPA" || shape.platform === "NATIVE";
    if (isPublic && input.usesPkce === false) {
      fail(["usesPkce"], `${shape.platform} applications are public clients and must use PKCE`);
    }
    if (isPublic) shape.usesPkce = true;
    if (shape.onBehalfOfEnabled && shape.platform !== "WEB") fail(["onBehalfOfEnabled"], "is only for WEB applications");

    const uris = shape.redirectUris;
    if (uris.length < 1 || uris.length > LIMITS.redirectUrisMax) {
      fail(["redirectUris"], `OAUTH applications need 1-${LIMITS.redirectUrisMax} redirect URIs`);
    }
    const seen = new Set<string>();
    uris.forEach((r, i) => {
      const problem = checkUri(r.uri, "redirect", shape.platform);
      if (problem) fail(["redirectUris", i, "uri"], problem);
      else if (seen.has(r.uri)) fail(["redirectUris", i, "uri"], "is listed twice");
      seen.add(r.uri);
    });
    const defaults = uris.filter((r) => r.default).length;
    if (uris.length > 0 && defaults !== 1) fail(["redirectUris"], "exactly one redirect URI must be the default");

    const seenLogout = new Set<string>();
    shape.postLogoutRedirectUris.forEach((uri, i) => {
      const problem = checkUri(uri, "redirect", shape.platform);
      if (problem) fail(["postLogoutRedirectUris", i], problem);
      else if (seenLogout.has(uri)) fail(["postLogoutRedirectUris", i], "is listed twice");
      seenLogout.add(uri);
    });
  }

  for (const key of ["logoUri", "termsOfServiceUri", "privacyPolicyUri"] as const) {
    const value = shape[key];
    if (value != null) {
      const problem = checkUri(value, "link", null);
      if (problem) fail([key], problem);
    }
  }
  if (shape.clientCode != null && !CLIENT_CODE_PATTERN.test(shape.clientCode)) {
    fail(["clientCode"], "must be 3-64 lowercase letters, digits or hyphens, starting with a letter or digit");
  }
  const te = shape.tokenExchange;
  if (te.accessTokenTtlSeconds < LIMITS.tokenExchangeTtlMin || te.accessTokenTtlSeconds > LIMITS.tokenExchangeTtlMax || !Number.isInteger(te.accessTokenTtlSeconds)) {
    fail(["tokenExchange", "accessTokenTtlSeconds"], `must be an integer from ${LIMITS.tokenExchangeTtlMin} to ${LIMITS.tokenExchangeTtlMax}`);
  }
  if (te.enabled && !isConfidential(shape.applicationType, shape.platform)) {
    fail(["tokenExchange", "enabled"], "token exchange is only for confidential applications");
  }
  return errors;
}

export interface GrantTarget {
  applicationType: ApplicationType;
  platform: Platform | null;
  onBehalfOfEnabled: boolean;
}

/** Which kind a grant gets when the admin does not say: M2M apps act as themselves. */
export function defaultGrantKind(type: ApplicationType): PermissionKind {
  return type === "M2M" ? "APPLICATION" : "DELEGATED";
}

export function validateGrant(
  app: GrantTarget,
  scopes: readonly string[],
  kind: PermissionKind,
  catalog: Catalog,
  path: string[] = ["scopes"],
): FieldError[] {
  const errors: FieldError[] = [];
  if (scopes.length === 0) return [{ path, message: "name at least one scope" }];
  const unknown = scopes.filter((s) => !catalog.scope(s));
  if (unknown.length > 0) errors.push({ path, message: `unknown scopes: ${unknown.join(", ")}` });
  if (kind === "APPLICATION" && !isConfidential(app.applicationType, app.platform)) {
    errors.push({ path: ["kind"], message: "APPLICATION permissions are only for confidential applications" });
  }
  if (kind === "DELEGATED" && app.applicationType !== "OAUTH") {
    errors.push({ path: ["kind"], message: "DELEGATED permissions are only for OAUTH applications" });
  }
  for (const name of scopes) {
    const scope = catalog.scope(name);
    if (!scope) continue;
    if (!scope.kinds.includes(kind)) {
      errors.push({ path, message: `${name} cannot be granted as ${kind}: it allows ${scope.kinds.join(", ")}` });
    }
    if (scope.onBehalfOf && !app.onBehalfOfEnabled) {
      errors.push({ path, message: `${name} is an on-behalf-of permission: enable onBehalfOfEnabled first` });
    }
  }
  return errors;
}

export function validateSecretInput(input: { description?: string | null; expiresInDays?: number | null }): FieldError[] {
  const errors: FieldError[] = [];
  if (input.description && input.description.length > LIMITS.secretDescriptionMax) {
    errors.push({ path: ["description"], message: `must be at most ${LIMITS.secretDescriptionMax} characters` });
  }
  const d = input.expiresInDays;
  if (d != null && (!Number.isInteger(d) || d < 1 || d > LIMITS.secretExpiresInDaysMax)) {
    errors.push({ path: ["expiresInDays"], message: `must be a whole number of days from 1 to ${LIMITS.secretExpiresInDaysMax}` });
  }
  return errors;
}
