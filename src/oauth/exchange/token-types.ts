// RFC 8693 §3 token type identifiers served by token exchange, plus the two of eGain's
// on-behalf-of by name, which identify a person without presenting any token of theirs.
export const TOKEN_TYPE = {
  accessToken: "urn:ietf:params:oauth:token-type:access_token",
  jwt: "urn:ietf:params:oauth:token-type:jwt",
  idToken: "urn:ietf:params:oauth:token-type:id_token",
  email: "urn:scopekeeper:params:oauth:token-type:email",
  userId: "urn:scopekeeper:params:oauth:token-type:user-id",
} as const;

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** What the metadata document advertises as accepted subject_token_type values. */
export const SUBJECT_TOKEN_TYPES: readonly string[] = Object.values(TOKEN_TYPE);
