// The domain rules for connect applications, written once and used by GraphQL, the CLI and
// the OAuth endpoints alike. Each rule reports a FieldError whose path names the input field
// and whose code names the rule. A field's rules on its own value are declared with the field
// in fields.ts; the rules here relate fields to each other.
import type { Catalog, PermissionKind } from "../catalog/index.ts";
import {
  APPLICATION_FIELDS,
  checkUri,
  COLUMN_FIELDS,
  LIMITS,
  type ApplicationFieldName,
  type ApplicationInput,
  type ApplicationType,
  type ColumnValues,
  type Platform,
} from "./fields.ts";

export { APPLICATION_TYPES, CLIENT_CODE_PATTERN, checkUri, LIMITS, PLATFORMS } from "./fields.ts";
export type { ApplicationInput, ApplicationType, Platform } from "./fields.ts";
export const PERMISSION_KINDS: readonly PermissionKind[] = ["DELEGATED", "APPLICATION"];

export type { FieldError } from "../errors.ts";
import { textErrors } from "./text.ts";
import type { FieldError } from "../errors.ts";

/** WEB apps and M2M apps keep secrets; SPA and NATIVE apps run where secrets cannot be kept. */
export function isConfidential(type: ApplicationType, platform: Platform | null): boolean {
  return type === "M2M" || platform === "WEB" || platform === null;
}

/** The fields of an application after defaults, as the rules see them and as it is stored. */
export interface ApplicationShape extends ColumnValues {
  applicationType: ApplicationType;
  platform: Platform | null;
  redirectUris: { uri: string; default: boolean }[];
  postLogoutRedirectUris: string[];
  usesPkce: boolean;
  organizationId: string | null;
  tokenExchange: { enabled: boolean; accessTokenTtlSeconds: number };
}

/** Applies creation defaults to an input; the result still has to pass validateApplication. */
export function shapeFromInput(input: ApplicationInput, base?: ApplicationShape): ApplicationShape {
  const columns = {} as Record<string, unknown>;
  for (const key of COLUMN_FIELDS) {
    const fallback = APPLICATION_FIELDS[key].default;
    columns[key] = input[key] === undefined ? (base ? base[key] : fallback) : (input[key] ?? fallback);
  }
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
  const postLogout = input.postLogoutRedirectUris;
  const pkce = input.usesPkce;
  return {
    ...(columns as unknown as ColumnValues),
    // A null name keeps the stored one rather than blanking it.
    name: (input.name ?? base?.name ?? "").trim(),
    applicationType,
    platform,
    redirectUris,
    postLogoutRedirectUris: postLogout === undefined ? (base?.postLogoutRedirectUris ?? []) : (postLogout ?? []),
    usesPkce: pkce === undefined && base ? base.usesPkce : (pkce ?? (platform === "SPA" || platform === "NATIVE")),
    organizationId: input.organizationId === undefined ? (base?.organizationId ?? null) : (input.organizationId ?? null),
    tokenExchange: {
      enabled: te?.enabled ?? base?.tokenExchange.enabled ?? false,
      accessTokenTtlSeconds:
        te?.accessTokenTtlSeconds ?? base?.tokenExchange.accessTokenTtlSeconds ?? LIMITS.tokenExchangeTtlDefault,
    },
  };
}

/** The rules each field declares on its own value (fields.ts), run on the value as stored. */
function fieldRuleErrors(shape: ApplicationShape): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of Object.keys(APPLICATION_FIELDS) as ApplicationFieldName[]) {
    if (!(key in shape)) continue;
    const value = (shape as unknown as Record<string, unknown>)[key];
    if (value == null) continue;
    const result = APPLICATION_FIELDS[key].schema.safeParse(value);
    if (result.success) continue;
    for (const issue of result.error.issues) {
      const code = (issue as { params?: { code?: string } }).params?.code ?? `${snakeCase(key)}_invalid`;
      errors.push({ path: [key, ...issue.path.map(String)], message: issue.message, code });
    }
  }
  return errors;
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

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
  const errors: FieldError[] = fieldRuleErrors(shape);
  const fail = (path: (string | number)[], code: string, message: string) => errors.push({ path: path.map(String), message, code });

  if (isCreate && !input.applicationType) fail(["applicationType"], "application_type_required", "is required: OAUTH or M2M");

  if (shape.applicationType === "M2M") {
    if (!shape.organizationId) fail(["organizationId"], "organization_required", "is required for M2M applications");
    if (shape.redirectUris.length > 0) fail(["redirectUris"], "m2m_no_redirect_uris", "M2M applications take no redirect URIs");
    if (shape.postLogoutRedirectUris.length > 0) fail(["postLogoutRedirectUris"], "m2m_no_redirect_uris", "M2M applications take no post-logout redirect URIs");
    if (input.platform != null) fail(["platform"], "m2m_no_platform", "M2M applications have no platform");
    if (input.usesPkce != null) fail(["usesPkce"], "m2m_no_pkce", "M2M applications do not use PKCE");
    if (input.onBehalfOfEnabled) fail(["onBehalfOfEnabled"], "on_behalf_of_web_only", "is only for WEB applications");
  } else {
    if (isCreate && input.isFirstParty == null) fail(
        ["isFirstParty"],
        "is_first_party_required",
        "is required for OAUTH applications: false for an application of your organization, true only for the operator's own applications",
      );
    if (!shape.isFirstParty && !shape.organizationId) {
      fail(["organizationId"], "organization_required", "is required for OAUTH applications that are not first-party");
    }
    const isPublic = shape.platform === "SPA" || shape.platform === "NATIVE";
    if (isPublic && input.usesPkce === false) {
      fail(["usesPkce"], "pkce_required", `${shape.platform} applications are public clients and must use PKCE`);
    }
    if (isPublic) shape.usesPkce = true;
    if (shape.onBehalfOfEnabled && shape.platform !== "WEB") fail(["onBehalfOfEnabled"], "on_behalf_of_web_only", "is only for WEB applications");
    // Acting for a member by name needs no token of theirs: it rides on the on-behalf-of switch.
    if (shape.onBehalfOfNamedSubjects && !shape.onBehalfOfEnabled) {
      fail(["onBehalfOfNamedSubjects"], "named_subjects_need_on_behalf_of", "needs onBehalfOfEnabled: turn both on, or turn this off first");
    }

    const uris = shape.redirectUris;
    if (uris.length < 1 || uris.length > LIMITS.redirectUrisMax) {
      fail(["redirectUris"], "redirect_uris_count", `OAUTH applications need 1-${LIMITS.redirectUrisMax} redirect URIs`);
    }
    const seen = new Set<string>();
    uris.forEach((r, i) => {
      const problem = checkUri(r.uri, "redirect", shape.platform);
      if (problem) fail(["redirectUris", i, "uri"], problem.code, problem.message);
      else if (seen.has(r.uri)) fail(["redirectUris", i, "uri"], "redirect_uri_duplicate", "is listed twice");
      seen.add(r.uri);
    });
    const defaults = uris.filter((r) => r.default).length;
    if (uris.length > 0 && defaults !== 1) fail(["redirectUris"], "redirect_uri_default_count", "exactly one redirect URI must be the default");

    const seenLogout = new Set<string>();
    shape.postLogoutRedirectUris.forEach((uri, i) => {
      const problem = checkUri(uri, "redirect", shape.platform);
      if (problem) fail(["postLogoutRedirectUris", i], problem.code, problem.message);
      else if (seenLogout.has(uri)) fail(["postLogoutRedirectUris", i], "redirect_uri_duplicate", "is listed twice");
      seenLogout.add(uri);
    });
  }

  const te = shape.tokenExchange;
  if (te.enabled && !isConfidential(shape.applicationType, shape.platform)) {
    fail(["tokenExchange", "enabled"], "token_exchange_confidential_only", "token exchange is only for confidential applications");
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
  if (scopes.length === 0) return [{ path, code: "scopes_required", message: "name at least one scope" }];
  const unknown = scopes.filter((s) => !catalog.scope(s));
  if (unknown.length > 0) errors.push({ path, code: "scope_unknown", message: `unknown scopes: ${unknown.join(", ")}` });
  if (kind === "APPLICATION" && !isConfidential(app.applicationType, app.platform)) {
    errors.push({ path: ["kind"], code: "application_permission_confidential_only", message: "APPLICATION permissions are only for confidential applications" });
  }
  if (kind === "DELEGATED" && app.applicationType !== "OAUTH") {
    errors.push({ path: ["kind"], code: "delegated_permission_oauth_only", message: "DELEGATED permissions are only for OAUTH applications" });
  }
  for (const name of scopes) {
    const scope = catalog.scope(name);
    if (!scope) continue;
    if (!scope.kinds.includes(kind)) {
      errors.push({ path, code: "scope_kind_not_allowed", message: `${name} cannot be granted as ${kind}: it allows ${scope.kinds.join(", ")}` });
    }
    if (scope.onBehalfOf && !app.onBehalfOfEnabled) {
      errors.push({ path, code: "on_behalf_of_not_enabled", message: `${name} is an on-behalf-of permission: enable onBehalfOfEnabled first` });
    }
  }
  return errors;
}

export function validateSecretInput(input: { description?: string | null; expiresInDays?: number | null }): FieldError[] {
  const errors: FieldError[] = textErrors({ description: input.description });
  if (input.description && input.description.length > LIMITS.secretDescriptionMax) {
    errors.push({ path: ["description"], code: "secret_description_length", message: `must be at most ${LIMITS.secretDescriptionMax} characters` });
  }
  const d = input.expiresInDays;
  if (d != null && (!Number.isInteger(d) || d < 1 || d > LIMITS.secretExpiresInDaysMax)) {
    errors.push({ path: ["expiresInDays"], code: "secret_expiry_range", message: `must be a whole number of days from 1 to ${LIMITS.secretExpiresInDaysMax}` });
  }
  return errors;
}
