// Every field of a connect application, declared once. Each declaration's zod schema is at the
// same time
//   - the domain input type (ApplicationInput below),
//   - the rules on the field's own value (checked by validateApplication in rules.ts on the
//     value as it would be stored; each rule reports its stable code),
//   - the GraphQL input field of CreateConnectApplicationInput / UpdateConnectApplicationInput
//     (src/graphql/zod-input.ts generates them; `create` and `update` say where it appears).
// Rules that relate several fields (M2M needs an organization, SPA must use PKCE, redirect URIs
// depend on the platform) are named functions in rules.ts.
//
// Adding a field: declare it here. With `column: true` it is stored in the same-named
// ConnectApplication column (add that column in prisma/schema.prisma with a migration) and
// read back and written without further code; expose it in src/graphql/applications.ts.
import { z } from "zod";
import { CLIENT_CODE_PATTERN, LIMITS } from "./limits.ts";
import { textProblem } from "./text.ts";

export const APPLICATION_TYPES = ["OAUTH", "M2M"] as const;
export const PLATFORMS = ["WEB", "SPA", "NATIVE"] as const;
export const TOKEN_ENDPOINT_AUTH_METHODS = ["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "PRIVATE_KEY_JWT", "NONE"] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
export type ApplicationType = (typeof APPLICATION_TYPES)[number];
export type Platform = (typeof PLATFORMS)[number];

export { CLIENT_CODE_PATTERN, LIMITS };

/** A broken rule: a message for people and a code for programs. */
export interface Problem {
  code: string;
  message: string;
}

type UriUse = "redirect" | "link";

/**
 * RFC 6749 §3.1.2, RFC 8252 §7 and RFC 9700 §4.1: exact, absolute, https-only redirect URIs;
 * NATIVE apps may also use loopback http and private-use schemes. Links (logo, terms) are
 * https only. Codes start with redirect_uri_ or link_uri_ after the use.
 */
export function checkUri(uri: string, use: UriUse, platform: Platform | null): Problem | null {
  const fail = (rule: string, message: string): Problem => ({ code: `${use === "redirect" ? "redirect_uri" : "link_uri"}_${rule}`, message });
  if (uri.length === 0) return fail("empty", "must not be empty");
  const text = textProblem(uri);
  if (text) return text;
  if (uri.length > LIMITS.uriMax) return fail("too_long", `must be at most ${LIMITS.uriMax} characters`);
  if (/\s/.test(uri)) return fail("whitespace", "must not contain whitespace");
  if (uri.includes("*")) return fail("wildcard", "must not contain wildcards");
  if (uri.includes("#")) return fail("fragment", "must not contain a fragment");
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return fail("not_absolute", "must be an absolute URI");
  }
  if (url.username || url.password) return fail("userinfo", "must not contain user information");
  if (url.protocol === "https:") return url.hostname ? null : fail("host_required", "must name a host");
  if (use === "redirect" && platform === "NATIVE") {
    if (url.protocol === "http:") {
      return url.hostname === "127.0.0.1" || url.hostname === "[::1]"
        ? null
        : fail("loopback_required", "must use https, or http only on the loopback addresses 127.0.0.1 and [::1]");
    }
    // RFC 8252 §7.1: private-use schemes are reverse domain names, e.g. com.example.app:/cb
    const scheme = url.protocol.slice(0, -1);
    if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme)) return null;
    return fail("scheme_not_allowed", "must use https, http on a loopback address, or a private-use scheme such as com.example.app:/callback");
  }
  return fail("https_required", "must use https");
}

/** Adds a rule to a schema; the issue carries the rule's code in params.code. */
function rule<S extends z.ZodType>(schema: S, check: (value: z.output<S>) => Problem | null): S {
  return schema.superRefine((value, ctx) => {
    const problem = check(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem.message, params: { code: problem.code } });
  }) as S;
}

const between = (code: string, message: string, min: number, max: number) => (value: string) =>
  value.length < min || value.length > max ? { code, message } : null;

const linkUri = () => rule(z.string(), (uri) => checkUri(uri, "link", null));

/** Key types whose public part verifies ES256, RS256, PS256 or EdDSA. */
const PUBLIC_KEY_TYPES = new Set(["EC", "RSA", "OKP"]);
/** Members only a private (or symmetric) JWK has. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** A JWK Set (RFC 7517 §5) of 1-10 public signing keys, as JSON text. */
export function checkJwks(text: string): Problem | null {
  const fail = (message: string): Problem => ({ code: "jwks_invalid", message });
  if (text.length > LIMITS.jwksMaxLength) return fail(`must be at most ${LIMITS.jwksMaxLength} characters`);
  let set: unknown;
  try {
    set = JSON.parse(text);
  } catch {
    return fail("must be a JWK Set as JSON: {\"keys\": [...]}");
  }
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > LIMITS.jwksMaxKeys) return fail(`must be a JWK Set with 1-${LIMITS.jwksMaxKeys} keys`);
  for (const key of keys as Record<string, unknown>[]) {
    if (typeof key !== "object" || key === null || !PUBLIC_KEY_TYPES.has(key.kty as string)) return fail("every key must be an EC, RSA or OKP public key");
    if (PRIVATE_MEMBERS.some((m) => m in key)) return { code: "jwks_private_key", message: "must hold public keys only: a private key was sent" };
    if (key.use !== undefined && key.use !== "sig") return fail("keys must be for signing (use sig)");
  }
  return null;
}

/** Where an application publishes its keys: https (http only on loopback, for development). */
export function checkJwksUri(uri: string): Problem | null {
  const fail = (message: string): Problem => ({ code: "jwks_uri_invalid", message });
  if (uri.length > LIMITS.uriMax) return fail(`must be at most ${LIMITS.uriMax} characters`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return fail("must be an absolute URI");
  }
  if (url.username || url.password || url.hash) return fail("must not contain user information or a fragment");
  if (url.protocol === "https:" && url.hostname) return null;
  if (url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "localhost")) return null;
  return fail("must use https");
}

interface FieldOptions {
  /** In CreateConnectApplicationInput: "required" (non-null there) or "optional"; absent when omitted. */
  create?: "required" | "optional";
  /** In UpdateConnectApplicationInput (always optional: omitted keeps the value). */
  update?: boolean;
  /** Stored in the ConnectApplication column of the same name, with this value when not given. */
  column?: boolean;
  /** What creation sends when the field is not given (for column fields). */
  default?: unknown;
  /** Documentation of the create input field: what creation requires of it. */
  createNote?: string;
  /** Documentation of the update input field: what a change of it does. */
  updateNote?: string;
}

function field<S extends z.ZodType, const O extends FieldOptions>(schema: S, options: O): { schema: S } & O {
  return { schema, ...options };
}

export const APPLICATION_FIELDS = {
  name: field(rule(z.string(), (v) => textProblem(v) ?? between("name_length", `must be 1-${LIMITS.nameMax} characters`, 1, LIMITS.nameMax)(v)), {
    create: "required",
    update: true,
    column: true,
    default: "",
  }),
  applicationType: field(z.enum(APPLICATION_TYPES, { error: "must be OAUTH or M2M" }).meta({ title: "ApplicationType" }), {
    create: "required",
  }),
  description: field(
    rule(z.string(), (v) => textProblem(v, { multiline: true }) ?? between("description_length", `must be at most ${LIMITS.descriptionMax} characters`, 0, LIMITS.descriptionMax)(v)),
    { create: "optional", update: true, column: true, default: null },
  ),
  scopes: field(z.array(z.string()), {
    create: "optional",
    createNote: "Initial grants, checked as grantScopes with the default kind.",
  }),
  redirectUris: field(
    z.array(
      z
        .object({ uri: z.string(), default: z.boolean().nullish() })
        .meta({ title: "RedirectUriInput", description: "When none is marked default, the first is." }),
    ),
    { create: "optional", update: true },
  ),
  postLogoutRedirectUris: field(z.array(z.string()), { create: "optional", update: true }),
  usesPkce: field(z.boolean(), { create: "optional", update: true }),
  isFirstParty: field(z.boolean(), {
    create: "optional",
    update: true,
    column: true,
    default: false,
    createNote: "Required for OAUTH applications.",
  }),
  organizationId: field(z.string().meta({ graphqlType: "ID" }), {
    create: "optional",
    createNote: "Required for M2M, and for OAUTH applications that are not first-party.",
  }),
  platform: field(z.enum(PLATFORMS, { error: "must be WEB, SPA or NATIVE" }).meta({ title: "Platform" }), {
    create: "optional",
    createNote: "OAUTH only; WEB by default.",
  }),
  clientCode: field(
    rule(z.string(), (code) =>
      CLIENT_CODE_PATTERN.test(code)
        ? null
        : { code: "client_code_format", message: "must be 3-64 lowercase letters, digits or hyphens, starting with a letter or digit" },
    ),
    { create: "optional", update: true, column: true, default: null },
  ),
  logoUri: field(linkUri(), { create: "optional", update: true, column: true, default: null }),
  termsOfServiceUri: field(linkUri(), { create: "optional", update: true, column: true, default: null }),
  privacyPolicyUri: field(linkUri(), { create: "optional", update: true, column: true, default: null }),
  onBehalfOfEnabled: field(z.boolean(), { create: "optional", update: true, column: true, default: false }),
  onBehalfOfNamedSubjects: field(
    z.boolean().meta({ description: "On-behalf-of by a member's email or usr_ id, without their token; needs onBehalfOfEnabled. Off by default." }),
    { create: "optional", update: true, column: true, default: false },
  ),
  tokenEndpointAuthMethod: field(
    z
      .enum(TOKEN_ENDPOINT_AUTH_METHODS, { error: "must be CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, PRIVATE_KEY_JWT or NONE" })
      .meta({ title: "TokenEndpointAuthMethod", description: "How it authenticates at the token endpoint; by default a secret for confidential apps and NONE for public ones. PRIVATE_KEY_JWT (RFC 7523) needs jwks or jwksUri." }),
    {
      create: "optional",
      update: true,
      column: true,
      default: null,
      updateNote:
        "How it authenticates at the token endpoint. PRIVATE_KEY_JWT (RFC 7523) needs jwks or jwksUri, and switching to it revokes every active client secret in the same change: they stop working at once and do not come back if the method later returns to CLIENT_SECRET_BASIC or CLIENT_SECRET_POST (add a new secret then). Switching away from PRIVATE_KEY_JWT needs jwks and jwksUri set to null.",
    },
  ),
  jwks: field(rule(z.string(), checkJwks).meta({ description: "PRIVATE_KEY_JWT: the public keys, a JWK Set as JSON text. Not with jwksUri." }), {
    create: "optional",
    update: true,
    column: true,
    default: null,
  }),
  jwksUri: field(rule(z.string(), checkJwksUri).meta({ description: "PRIVATE_KEY_JWT: where the app publishes its JWK Set (https). Not with jwks." }), {
    create: "optional",
    update: true,
    column: true,
    default: null,
  }),
  requireDpop: field(z.boolean().meta({ description: "Tokens only with a DPoP proof (RFC 9449): every access token is bound to the app's key." }), {
    create: "optional",
    update: true,
    column: true,
    default: false,
  }),
  requirePushedAuthorizationRequests: field(
    z.boolean().meta({ description: "Authorization requests only through /oauth/par (RFC 9126): /oauth/authorize takes a request_uri and nothing else." }),
    { create: "optional", update: true, column: true, default: false },
  ),
  tokenExchange: field(
    z
      .object({
        enabled: z.boolean().nullish(),
        accessTokenTtlSeconds: rule(z.number().meta({ graphqlType: "Int" }), (ttl) =>
          Number.isInteger(ttl) && ttl >= LIMITS.tokenExchangeTtlMin && ttl <= LIMITS.tokenExchangeTtlMax
            ? null
            : { code: "token_exchange_ttl_range", message: `must be an integer from ${LIMITS.tokenExchangeTtlMin} to ${LIMITS.tokenExchangeTtlMax}` },
        )
          .nullish()
          .meta({ description: "60-86400; default 3600." }),
      })
      .meta({ title: "TokenExchangeInput" }),
    { create: "optional", update: true },
  ),
};

export type ApplicationFields = typeof APPLICATION_FIELDS;
export type ApplicationFieldName = keyof ApplicationFields;

/** What a caller sent: any field may be missing (keep or default) or null (default). */
export type ApplicationInput = { [K in ApplicationFieldName]?: z.input<ApplicationFields[K]["schema"]> | null };

/** The fields kept in same-named columns, as stored: the schema's value or the default. */
export type ColumnFieldName = { [K in ApplicationFieldName]: ApplicationFields[K] extends { column: true } ? K : never }[ApplicationFieldName];
export type ColumnValues = { [K in ColumnFieldName]: z.output<ApplicationFields[K]["schema"]> | ApplicationFields[K]["default"] };

export const COLUMN_FIELDS = (Object.keys(APPLICATION_FIELDS) as ApplicationFieldName[]).filter(
  (key): key is ColumnFieldName => (APPLICATION_FIELDS[key] as FieldOptions).column === true,
);
