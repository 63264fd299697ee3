// RFC 7591 §2 client metadata, translated to and from the one application input that
// createConnectApplication also takes: dynamic registration is a second door onto the same
// rules (rules.ts, fields.ts), never a second set of them. What the application model has no
// field for (client_uri, contacts, the chosen authentication method) is kept as registered.
import { checkUri } from "./fields.ts";
import type { ApplicationInput, ApplicationType, FieldError, Platform } from "./rules.ts";

export const REGISTRABLE_GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
export const REGISTRABLE_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"] as const;
const CONTACTS_MAX = 20;
const CONTACT_LENGTH_MAX = 254;

/** The registered metadata kept beside the application (ClientRegistration.metadata). */
export interface ExtraMetadata {
  token_endpoint_auth_method: (typeof REGISTRABLE_AUTH_METHODS)[number];
  grant_types: string[];
  application_type: "web" | "native";
  client_uri?: string;
  contacts?: string[];
}

export interface ParsedMetadata {
  /** The domain input, every registrable field present (null = absent): a full replacement. */
  input: ApplicationInput & { applicationType: ApplicationType; platform: Platform | null };
  /** Requested scopes, or undefined when `scope` was not sent. */
  scopes: string[] | undefined;
  extra: ExtraMetadata;
  /** Problems with the metadata's own shape; paths are metadata names. */
  errors: FieldError[];
}

/** Strings no legitimate metadata contains; PostgreSQL would refuse NUL outright. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Reads a JSON object of client metadata; unknown members are ignored (RFC 7591 §2). */
export function parseClientMetadata(body: Record<string, unknown>): ParsedMetadata {
  const errors: FieldError[] = [];
  const fail = (field: string, code: string, message: string) => errors.push({ path: [field], code, message });
  const str = (name: string): string | undefined => {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") return void fail(name, "client_metadata_type", "must be a string");
    if (CONTROL_CHARACTER.test(value)) return void fail(name, "client_metadata_control_character", "must not contain control characters");
    return value;
  };
  const list = (name: string): string[] | undefined => {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) return void fail(name, "client_metadata_type", "must be an array of strings");
    if (value.some((v: string) => CONTROL_CHARACTER.test(v))) return void fail(name, "client_metadata_control_character", "must not contain control characters");
    return value as string[];
  };

  const grantTypes = list("grant_types") ?? ["authorization_code"];
  const unsupported = grantTypes.filter((g) => !(REGISTRABLE_GRANT_TYPES as readonly string[]).includes(g));
  if (unsupported.length > 0) {
    fail("grant_types", "grant_type_unsupported", `unsupported: ${unsupported.join(", ")}; this server registers ${REGISTRABLE_GRANT_TYPES.join(", ")}`);
  }
  const m2m = grantTypes.includes("client_credentials");
  if (m2m && grantTypes.includes("authorization_code")) {
    fail("grant_types", "grant_types_mixed", "client_credentials and authorization_code need separate clients: register one for each");
  } else if (!m2m && !grantTypes.includes("authorization_code")) {
    fail("grant_types", "grant_type_required", "must include authorization_code or client_credentials");
  }

  const responseTypes = list("response_types") ?? (m2m ? [] : ["code"]);
  if (m2m && responseTypes.length > 0) fail("response_types", "response_types_m2m", "client_credentials clients take no response types");
  if (!m2m && (responseTypes.length !== 1 || responseTypes[0] !== "code")) fail("response_types", "response_type_unsupported", "must be [\"code\"]: the only response type this server supports");

  const method = (str("token_endpoint_auth_method") ?? "client_secret_basic") as ExtraMetadata["token_endpoint_auth_method"];
  if (!(REGISTRABLE_AUTH_METHODS as readonly string[]).includes(method)) {
    fail("token_endpoint_auth_method", "token_endpoint_auth_method_unsupported", `must be one of ${REGISTRABLE_AUTH_METHODS.join(", ")}`);
  }
  if (m2m && method === "none") fail("token_endpoint_auth_method", "client_credentials_needs_secret", "client_credentials clients authenticate: use client_secret_basic or client_secret_post");

  // RFC 7591 §2: jwks is a JWK Set object (kept as JSON text), jwks_uri a URL; the rules
  // (rules.ts) check them as createConnectApplication does.
  const jwksValue = body.jwks;
  let jwks: string | null = null;
  if (jwksValue !== undefined && jwksValue !== null) {
    if (typeof jwksValue !== "object" || Array.isArray(jwksValue)) fail("jwks", "client_metadata_type", "must be a JWK Set object");
    else jwks = JSON.stringify(jwksValue);
  }
  const jwksUri = str("jwks_uri") ?? null;

  const applicationType = str("application_type") ?? "web";
  if (applicationType !== "web" && applicationType !== "native") fail("application_type", "application_type_unsupported", "must be web or native");

  // Public clients (no secret) are SPA or NATIVE apps, which must use PKCE; with a secret, WEB.
  const platform: Platform | null = m2m ? null : method === "none" ? (applicationType === "native" ? "NATIVE" : "SPA") : "WEB";

  const clientUri = str("client_uri");
  if (clientUri !== undefined) {
    const problem = checkUri(clientUri, "link", null);
    if (problem) fail("client_uri", problem.code, problem.message);
  }
  const contacts = list("contacts");
  if (contacts && (contacts.length > CONTACTS_MAX || contacts.some((c) => c.length === 0 || c.length > CONTACT_LENGTH_MAX))) {
    fail("contacts", "contacts_invalid", `at most ${CONTACTS_MAX} contacts of 1-${CONTACT_LENGTH_MAX} characters`);
  }

  // RFC 9126 §6: a boolean, false when absent.
  const parValue = body.require_pushed_authorization_requests;
  if (parValue !== undefined && parValue !== null && typeof parValue !== "boolean") {
    fail("require_pushed_authorization_requests", "client_metadata_type", "must be a boolean");
  }
  const requirePushedAuthorizationRequests = parValue === true;

  const scope = str("scope");
  const redirectUris = list("redirect_uris");
  const postLogout = list("post_logout_redirect_uris");
  const input = {
    name: str("client_name") ?? null,
    applicationType: (m2m ? "M2M" : "OAUTH") as ApplicationType,
    platform,
    isFirstParty: m2m ? null : false,
    redirectUris: (redirectUris ?? []).map((uri) => ({ uri })),
    postLogoutRedirectUris: postLogout ?? [],
    logoUri: str("logo_uri") ?? null,
    termsOfServiceUri: str("tos_uri") ?? null,
    privacyPolicyUri: str("policy_uri") ?? null,
    tokenEndpointAuthMethod: method === "private_key_jwt" ? ("PRIVATE_KEY_JWT" as const) : null,
    jwks,
    jwksUri,
    requirePushedAuthorizationRequests,
  };
  const extra: ExtraMetadata = {
    token_endpoint_auth_method: method,
    grant_types: [...new Set(grantTypes)],
    application_type: applicationType as ExtraMetadata["application_type"],
    ...(clientUri !== undefined ? { client_uri: clientUri } : {}),
    ...(contacts !== undefined ? { contacts } : {}),
  };
  const scopes = scope === undefined ? undefined : [...new Set(scope.split(" ").filter(Boolean))];
  return { input, scopes, extra, errors };
}

/** The metadata name each domain input field is registered under. */
const METADATA_NAMES: Record<string, string> = {
  name: "client_name",
  applicationType: "grant_types",
  platform: "token_endpoint_auth_method",
  usesPkce: "token_endpoint_auth_method",
  redirectUris: "redirect_uris",
  postLogoutRedirectUris: "post_logout_redirect_uris",
  logoUri: "logo_uri",
  termsOfServiceUri: "tos_uri",
  privacyPolicyUri: "policy_uri",
  scopes: "scope",
  kind: "scope",
  tokenEndpointAuthMethod: "token_endpoint_auth_method",
  jwksUri: "jwks_uri",
  requirePushedAuthorizationRequests: "require_pushed_authorization_requests",
  organizationId: "initial_access_token",
};

/** `redirectUris.0.uri` -> `redirect_uris[0]`: a domain error path in the metadata's terms. */
export function metadataField(path: readonly string[]): string {
  const [head, index] = path;
  const name = METADATA_NAMES[head ?? ""] ?? head ?? "";
  return index !== undefined && /^\d+$/.test(index) ? `${name}[${index}]` : name;
}

/** RFC 7591 §3.2.2: a broken redirect URI rule is invalid_redirect_uri, any other invalid_client_metadata. */
export function registrationErrorCode(errors: readonly FieldError[]): "invalid_redirect_uri" | "invalid_client_metadata" {
  const isRedirect = (e: FieldError) => {
    const field = metadataField(e.path);
    return field.startsWith("redirect_uris") || field.startsWith("post_logout_redirect_uris");
  };
  return errors.some(isRedirect) ? "invalid_redirect_uri" : "invalid_client_metadata";
}
