// Validation of an authorization request (RFC 6749 §4.1.1, RFC 7636, RFC 9700 §2.1.1).
// The client and redirect URI are checked first: until both are trusted, errors are shown on
// a page and never redirected. Everything else goes back to the redirect URI.
import type { Services } from "../services.ts";
import type { ConsentApp } from "../ui/pages.ts";
import { isConfidential, type ApplicationType, type Platform } from "../applications/rules.ts";
import { approvedRevisionOf } from "../applications/revision.ts";
import type { RevisionChoice } from "../access/policy.ts";
import { CONSOLE_CLIENT_ID } from "../applications/console-client.ts";
import { sha256 } from "../crypto/random.ts";

/** RFC 9126 §2.2: the request_uri a push answers with, and how long a client has to use it. */
export const REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:";
export const PUSHED_REQUEST_TTL_SECONDS = 60;
/** Once a browser brings the request_uri to /oauth/authorize, the person has this long to sign in and decide. */
export const PUSHED_SIGN_IN_WINDOW_MS = 10 * 60_000;

/** What a person does when a pushed request is gone: the link is not wrong, only spent. */
export const REQUEST_URI_GONE_HINT = "Go back to the application and sign in again from there: it will make a new link.";

/** The stored key of a request_uri (its random part hashed), or null when it is not one of ours. */
export function requestUriKey(requestUri: string): string | null {
  if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return null;
  const reference = requestUri.slice(REQUEST_URI_PREFIX.length);
  return /^[A-Za-z0-9_-]{22,128}$/.test(reference) ? sha256(reference) : null;
}

/** A request that came by reference (RFC 9126): which pushed row, and when it was pushed. */
export interface PushedReference {
  requestUri: string;
  key: string;
  pushedAt: Date;
}

/** What the consent page shows, plus what the flow decides with. */
export interface AuthorizationApplication extends ConsentApp {
  id: string;
  clientId: string;
  organizationId: string | null;
  visibility: string;
  confidential: boolean;
  usesPkce: boolean;
  delegatedGrants: Set<string>;
}

export interface AuthorizationRequest {
  app: AuthorizationApplication;
  redirectUri: string;
  redirectUriGiven: boolean;
  /** Whether an error may be sent to redirectUri now (see checkAuthorizationRequest); otherwise it is shown on a page. */
  errorRedirectTrusted: boolean;
  scopes: string[];
  state: string | undefined;
  codeChallenge: string | undefined;
  nonce: string | undefined;
  /** RFC 9449 §10: the code will be redeemable only with a DPoP proof made with this key. */
  dpopJkt: string | undefined;
  prompt: Set<string>;
  /** The request's own parameters, to carry it across login and consent unchanged (for a pushed request: client_id and request_uri). */
  params: Record<string, string>;
  /** Set when the request came as a request_uri: consumed when its code is issued. */
  pushed: PushedReference | null;
}

export type AuthorizationCheck =
  | { kind: "page"; status: number; title: string; message: string; error: string; parameter?: string; value?: string; hint?: string }
  | { kind: "redirect"; redirectUri: string; error: string; description: string; state: string | undefined }
  | { kind: "ok"; request: AuthorizationRequest };

const CODE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
/** The authorization parameters this server reads; a push keeps only these. */
export const AUTHORIZATION_PARAMETERS = ["client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method", "nonce", "prompt", "login_hint", "dpop_jkt"];
/** RFC 9449 §10: a SHA-256 JWK thumbprint, base64url without padding. */
const DPOP_JKT = /^[A-Za-z0-9_-]{43}$/;
const PARAMETERS = AUTHORIZATION_PARAMETERS;

// The parameter's value is shown only for client_id and redirect_uri: neither is a secret.
const page = (message: string, error: string, parameter: string, value?: string): Extract<AuthorizationCheck, { kind: "page" }> => ({
  kind: "page",
  status: 400,
  title: "This sign-in link is not valid",
  message,
  error,
  parameter,
  ...(value !== undefined ? { value } : {}),
});

/**
 * How the parameters arrived: `authorize` at /oauth/authorize (a request_uri is resolved to
 * the pushed request), `push` at /oauth/par (RFC 9126 §2.1: no request_uri inside a push).
 */
export type RequestArrival = "authorize" | "push";

/**
 * The one validation of an authorization request, at /oauth/authorize and at /oauth/par alike.
 * `revision` says whose view of the application to check against: before sign-in, who asks is
 * unknown, so a redirect URI or scope of either revision passes ("either"); once signed in, the
 * request is checked again against the revision that person gets (visibility.ts).
 */
export async function checkAuthorizationRequest(
  raw: Record<string, unknown>,
  services: Services,
  revision: RevisionChoice | "either" = "either",
  arrival: RequestArrival = "authorize",
): Promise<AuthorizationCheck> {
  if (raw.request_uri !== undefined) {
    if (arrival === "push") return page("A pushed authorization request cannot refer to another one (request_uri).", "invalid_request", "request_uri");
    return checkPushedReference(raw, services, revision);
  }
  return checkParameters(raw, services, revision, arrival, null);
}

/**
 * RFC 9126 §4: `client_id` and `request_uri` name a request pushed by that very client, not yet
 * expired nor used; its parameters are then validated again (the application may have changed
 * since). The first arrival of a browser opens the sign-in window, so a person who takes more
 * than the push's 60 seconds to sign in, or reloads the page meanwhile, still gets through.
 */
async function checkPushedReference(raw: Record<string, unknown>, services: Services, revision: RevisionChoice | "either"): Promise<AuthorizationCheck> {
  const { client_id: clientId, request_uri: requestUri } = raw;
  if (Array.isArray(clientId) || Array.isArray(requestUri)) return page("client_id or request_uri was given more than once.", "invalid_request", Array.isArray(clientId) ? "client_id" : "request_uri");
  if (typeof clientId !== "string" || clientId === "") return page("The request names no application (client_id is missing).", "invalid_request", "client_id");
  const key = typeof requestUri === "string" ? requestUriKey(requestUri) : null;
  const now = new Date();
  const row = key
    ? await services.db.pushedAuthorizationRequest.findUnique({ where: { requestUriHash: key }, include: { application: { select: { clientId: true } } } })
    : null;
  if (!key || !row || row.expiresAt <= now || row.application.clientId !== clientId) {
    return { ...page("This sign-in link has expired or was already used.", "invalid_request_uri", "request_uri"), hint: REQUEST_URI_GONE_HINT };
  }
  if (!row.startedAt) {
    await services.db.pushedAuthorizationRequest.updateMany({
      where: { requestUriHash: key, startedAt: null },
      data: { startedAt: now, expiresAt: new Date(now.getTime() + PUSHED_SIGN_IN_WINDOW_MS) },
    });
  }
  return checkParameters(JSON.parse(row.params) as Record<string, string>, services, revision, "authorize", { requestUri: requestUri as string, key, pushedAt: row.createdAt });
}

async function checkParameters(
  raw: Record<string, unknown>,
  services: Services,
  revision: RevisionChoice | "either",
  arrival: RequestArrival,
  pushed: PushedReference | null,
): Promise<AuthorizationCheck> {
  const params: Record<string, string> = {};
  for (const name of PARAMETERS) {
    const value = raw[name];
    if (Array.isArray(value)) {
      if (name === "client_id" || name === "redirect_uri") return page(`The parameter ${name} was given more than once.`, "invalid_request", name);
      params[name] = "\u0000duplicate";
    } else if (typeof value === "string" && value !== "") params[name] = value;
  }
  const clientId = params.client_id;
  if (!clientId) return page("The request names no application (client_id is missing).", "invalid_request", "client_id");
  const app = await services.db.connectApplication.findUnique({
    where: { clientId },
    include: { redirectUris: { where: { kind: "REDIRECT" } }, scopeGrants: { where: { kind: "DELEGATED" } } },
  });
  if (!app || app.applicationType !== "OAUTH") return page("The application in this request is not registered.", "invalid_client", "client_id", clientId);

  // Outside a PUBLIC app's organization, the approved revision is the application.
  const approved = approvedRevisionOf(app);
  const current = {
    name: app.name,
    logoUri: app.logoUri,
    redirectUris: [...app.redirectUris].sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.position - b.position).map((r) => r.uri),
    delegatedScopes: app.scopeGrants.map((g) => g.scope),
  };
  const view =
    revision === "approved" && approved
      ? approved
      : revision === "either" && approved
        ? {
            ...current,
            redirectUris: [...new Set([...current.redirectUris, ...approved.redirectUris])],
            delegatedScopes: [...new Set([...current.delegatedScopes, ...approved.delegatedScopes])],
          }
        : current;
  const registered = view.redirectUris;
  const given = params.redirect_uri;
  let redirectUri: string;
  if (given !== undefined) {
    // Exact string comparison: no normalization, no prefix or wildcard matching (RFC 9700 §4.1.3).
    if (!registered.includes(given)) return page(`The redirect URI in this request is not registered for ${view.name}.`, "invalid_request", "redirect_uri", given);
    redirectUri = given;
  } else {
    // The default comes first in either revision.
    const fallback = registered[0];
    if (!fallback) return page(`${view.name} has no redirect URI registered, so there is nowhere to send you back.`, "invalid_request", "redirect_uri");
    redirectUri = fallback;
  }

  const state = params.state === "\u0000duplicate" ? undefined : params.state;
  // Error redirects go only where the requester may be sent: before sign-in, who asks is
  // unknown, so a PUBLIC app's redirect URI that is not in its approved revision (still under
  // review) gets the error on a page here instead.
  const errorRedirectTrusted = !(revision === "either" && approved) || approved.redirectUris.includes(redirectUri);
  const fail = (error: string, description: string): AuthorizationCheck =>
    errorRedirectTrusted
      ? { kind: "redirect", redirectUri, error, description, state }
      : { kind: "page", status: 400, title: "This sign-in link is not valid", message: description, error };
  const duplicate = Object.entries(params).find(([, v]) => v === "\u0000duplicate");
  if (duplicate) return fail("invalid_request", `the parameter ${duplicate[0]} was given more than once`);
  // RFC 9126 §5-6: per application, or server-wide (REQUIRE_PAR; the console signs in as before).
  const parRequired = app.requirePushedAuthorizationRequests || (services.config.requirePushedAuthorizationRequests && app.clientId !== CONSOLE_CLIENT_ID);
  if (arrival === "authorize" && !pushed && parRequired) {
    return fail("invalid_request", "this application must push its authorization requests to /oauth/par first and send only client_id and request_uri here");
  }
  if (params.response_type !== "code") {
    return fail("unsupported_response_type", params.response_type ? `response_type ${params.response_type} is not supported; use code` : "response_type is required (code)");
  }

  const confidential = isConfidential(app.applicationType as ApplicationType, app.platform as Platform | null);
  const method = params.code_challenge_method;
  if (params.code_challenge !== undefined || method !== undefined) {
    if (method !== "S256") return fail("invalid_request", "code_challenge_method must be S256 (plain is not supported)");
    if (!params.code_challenge || !CODE_CHALLENGE.test(params.code_challenge)) {
      return fail("invalid_request", "code_challenge must be 43-128 characters of base64url");
    }
  } else if (!confidential || app.usesPkce) {
    return fail("invalid_request", "this application must use PKCE: send code_challenge and code_challenge_method=S256");
  }

  if (params.dpop_jkt !== undefined && !DPOP_JKT.test(params.dpop_jkt)) {
    return fail("invalid_request", "dpop_jkt must be the SHA-256 thumbprint of the DPoP key (RFC 7638), 43 characters of base64url");
  }

  const scopes = [...new Set((params.scope ?? "").split(" ").filter(Boolean))];
  if (scopes.length === 0) return fail("invalid_scope", "scope is required");
  const delegated = new Set(view.delegatedScopes);
  const notGranted = scopes.filter((s) => !delegated.has(s));
  if (notGranted.length > 0) return fail("invalid_scope", `not granted to this application: ${notGranted.join(" ")}`);
  // On-behalf-of scopes exist only for the on-behalf-of flow, where the token carries `act`.
  const onBehalfOf = scopes.filter((s) => services.catalog.scope(s)?.onBehalfOf);
  if (onBehalfOf.length > 0) return fail("invalid_scope", `on-behalf-of scopes are issued only through the on-behalf-of flow, not by authorization: ${onBehalfOf.join(" ")}`);
  if (scopes.includes("openid") && !params.nonce) return fail("invalid_request", "nonce is required when openid is requested");

  const prompt = new Set((params.prompt ?? "").split(" ").filter(Boolean));
  if (prompt.has("none") && prompt.size > 1) return fail("invalid_request", "prompt=none cannot be combined with other values");

  return {
    kind: "ok",
    request: {
      app: {
        id: app.id,
        clientId: app.clientId,
        name: view.name,
        description: app.description,
        logoUri: view.logoUri,
        termsOfServiceUri: app.termsOfServiceUri,
        privacyPolicyUri: app.privacyPolicyUri,
        isFirstParty: app.isFirstParty,
        organizationId: app.organizationId,
        visibility: app.visibility,
        confidential,
        usesPkce: app.usesPkce,
        delegatedGrants: delegated,
      },
      redirectUri,
      redirectUriGiven: given !== undefined,
      errorRedirectTrusted,
      scopes,
      state,
      codeChallenge: params.code_challenge,
      nonce: params.nonce,
      dpopJkt: params.dpop_jkt,
      prompt,
      // A pushed request travels across sign-in and consent as its reference only.
      params: pushed ? { client_id: app.clientId, request_uri: pushed.requestUri } : params,
      pushed,
    },
  };
}

/** Builds the redirect back to the client with RFC 6749 parameters plus iss (RFC 9207). */
export function redirectWith(redirectUri: string, issuer: string, values: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(values)) if (v !== undefined) url.searchParams.set(k, v);
  url.searchParams.set("iss", issuer);
  return url.toString();
}
