// RFC 6749 §5.2 errors as classes named after their code; one handler renders them as JSON.
export class OAuthError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra response headers, e.g. WWW-Authenticate for invalid_client. */
  readonly headers: Record<string, string>;
  constructor(code: string, description: string, status = 400, headers: Record<string, string> = {}) {
    super(description);
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
  toJSON() {
    return { error: this.code, error_description: this.message };
  }
}

const make = (code: string, status = 400) =>
  class extends OAuthError {
    constructor(description: string, headers: Record<string, string> = {}) {
      super(code, description, status, headers);
    }
  };

export const InvalidRequest = make("invalid_request");
export const InvalidGrant = make("invalid_grant");
export const InvalidScope = make("invalid_scope");
export const UnauthorizedClient = make("unauthorized_client");
export const UnsupportedGrantType = make("unsupported_grant_type");
export const UnsupportedTokenType = make("unsupported_token_type");
export const InvalidTarget = make("invalid_target");
export const ServerError = make("server_error", 500);

export class InvalidClient extends OAuthError {
  constructor(description: string, scheme: "Basic" | "none" = "Basic") {
    // RFC 6749 §5.2: 401 with a challenge for the scheme the client tried.
    super("invalid_client", description, 401, scheme === "Basic" ? { "WWW-Authenticate": 'Basic realm="scopekeeper"' } : {});
  }
}
