// RFC 8414 authorization-server metadata, built from the config and the routes that exist.
import { CLIENT_ASSERTION_ALGS } from "./client-assertion.ts";
import { DPOP_ALGS } from "../auth/dpop.ts";
import { SUBJECT_TOKEN_TYPES, TOKEN_EXCHANGE_GRANT, TOKEN_TYPE } from "./exchange/token-types.ts";

export interface MetadataInput {
  issuer: string;
  grantTypes: readonly string[];
  tokenEndpointAuthMethods: readonly string[];
  scopes: readonly string[];
  endpoints: Partial<Record<"authorization" | "token" | "revocation" | "introspection" | "userinfo" | "endSession" | "registration" | "deviceAuthorization" | "pushedAuthorizationRequest", string>>;
  /** RFC 9126 §5: REQUIRE_PAR. */
  requirePushedAuthorizationRequests?: boolean;
}

export function authorizationServerMetadata(m: MetadataInput): Record<string, unknown> {
  const url = (p: string | undefined) => (p ? `${m.issuer}${p}` : undefined);
  const doc: Record<string, unknown> = {
    issuer: m.issuer,
    authorization_endpoint: url(m.endpoints.authorization),
    token_endpoint: url(m.endpoints.token),
    jwks_uri: `${m.issuer}/.well-known/jwks.json`,
    scopes_supported: m.scopes,
    response_types_supported: m.endpoints.authorization ? ["code"] : [],
    grant_types_supported: m.grantTypes,
    token_endpoint_auth_methods_supported: m.tokenEndpointAuthMethods,
    // RFC 7523 private_key_jwt: asymmetric algorithms only.
    token_endpoint_auth_signing_alg_values_supported: m.tokenEndpointAuthMethods.includes("private_key_jwt") ? CLIENT_ASSERTION_ALGS : undefined,
    revocation_endpoint: url(m.endpoints.revocation),
    revocation_endpoint_auth_methods_supported: m.endpoints.revocation ? m.tokenEndpointAuthMethods : undefined,
    introspection_endpoint: url(m.endpoints.introspection),
    introspection_endpoint_auth_methods_supported: m.endpoints.introspection
      ? m.tokenEndpointAuthMethods.filter((a) => a !== "none")
      : undefined,
    revocation_endpoint_auth_signing_alg_values_supported: m.endpoints.revocation && m.tokenEndpointAuthMethods.includes("private_key_jwt") ? CLIENT_ASSERTION_ALGS : undefined,
    introspection_endpoint_auth_signing_alg_values_supported:
      m.endpoints.introspection && m.tokenEndpointAuthMethods.includes("private_key_jwt") ? CLIENT_ASSERTION_ALGS : undefined,
    // RFC 9449 §5.1: DPoP proofs at the token endpoint and at this server's resources.
    dpop_signing_alg_values_supported: m.endpoints.token ? DPOP_ALGS : undefined,
    userinfo_endpoint: url(m.endpoints.userinfo),
    code_challenge_methods_supported: m.endpoints.authorization ? ["S256"] : undefined,
    response_modes_supported: m.endpoints.authorization ? ["query"] : undefined,
    prompt_values_supported: m.endpoints.authorization ? ["none", "login", "consent"] : undefined,
    authorization_response_iss_parameter_supported: m.endpoints.authorization ? true : undefined,
    end_session_endpoint: url(m.endpoints.endSession),
    // RFC 8628 §4: where a device asks for its codes (the person goes to /oauth/device).
    device_authorization_endpoint: url(m.endpoints.deviceAuthorization),
    // RFC 9126 §5: where a client pushes its authorization requests, and whether every client must.
    pushed_authorization_request_endpoint: url(m.endpoints.pushedAuthorizationRequest),
    require_pushed_authorization_requests: m.endpoints.pushedAuthorizationRequest ? (m.requirePushedAuthorizationRequests ?? false) : undefined,
    // RFC 7591: open only to holders of an initial access token an ADMIN created.
    registration_endpoint: url(m.endpoints.registration),
    // RFC 8693 defines no metadata names; these say which token types exchange accepts and issues.
    subject_token_types_supported: m.grantTypes.includes(TOKEN_EXCHANGE_GRANT) ? SUBJECT_TOKEN_TYPES : undefined,
    issued_token_types_supported: m.grantTypes.includes(TOKEN_EXCHANGE_GRANT) ? [TOKEN_TYPE.accessToken] : undefined,
  };
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined));
}
