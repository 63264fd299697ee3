// One class per OAuth error code a grant or endpoint throws (RFC 6749 §4.1.2.1/§5.2, RFC 8628
// §3.5, RFC 8707 §2), named after the code and carrying its HTTP status. `expose` says whether
// the description may reach the client; the one error handler in router.ts renders them as
// RFC 6749 JSON. Codes that are only ever answered, never thrown (invalid_token at userinfo
// and registration, unsupported_response_type at authorize, server_error from the handler),
// are written where they are answered; add a class here when something throws one.
/** RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E. */
const OUTSIDE_DESCRIPTION_CHARSET = /[^\x20-\x21\x23-\x5b\x5d-\x7e]/g;
const MAX_DESCRIPTION_LENGTH = 300;

/**
 * A description safe to send: descriptions often quote what the client sent (a grant_type,
 * a scope), which may hold any character at all; those outside the RFC's set become "?", a
 * double quote becomes a single one, and an echo of a huge value is cut short.
 */
export function describeSafely(description: string): string {
  const clean = description.replace(/"/g, "'").replace(OUTSIDE_DESCRIPTION_CHARSET, "?");
  return clean.length > MAX_DESCRIPTION_LENGTH ? `${clean.slice(0, MAX_DESCRIPTION_LENGTH - 3)}...` : clean;
}

export abstract class OAuthError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Extra response headers, e.g. the WWW-Authenticate challenge of invalid_client. */
  readonly headers: Readonly<Record<string, string>>;
  constructor(description: string, headers: Record<string, string> = {}) {
    super(description);
    this.headers = headers;
  }
  /** Server failures keep their cause to the log; the client learns only that it failed. */
  get expose(): boolean {
    return this.status < 500;
  }
  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.expose ? describeSafely(this.message) : "the server failed to handle this request" };
  }
}

export class InvalidRequest extends OAuthError {
  readonly code = "invalid_request";
  readonly status = 400;
}

/** RFC 6749 §5.2: 401, with a challenge naming the scheme the server accepts. */
export class InvalidClient extends OAuthError {
  readonly code = "invalid_client";
  readonly status = 401;
  constructor(description: string) {
    super(description, { "www-authenticate": 'Basic realm="scopekeeper"' });
  }
}

/**
 * RFC 9126 §2.3: a pushed authorization request refused with the code /oauth/authorize would
 * have given it (invalid_request, invalid_scope, unsupported_response_type, ...), answered 400.
 */
export class AuthorizationRequestRefused extends OAuthError {
  readonly status = 400;
  constructor(
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

export class InvalidGrant extends OAuthError {
  readonly code = "invalid_grant";
  readonly status = 400;
}

export class UnauthorizedClient extends OAuthError {
  readonly code = "unauthorized_client";
  readonly status = 400;
}

export class UnsupportedGrantType extends OAuthError {
  readonly code = "unsupported_grant_type";
  readonly status = 400;
}

export class InvalidScope extends OAuthError {
  readonly code = "invalid_scope";
  readonly status = 400;
  /** The offending scope(s), for logs and callers that want them apart from the prose. */
  readonly scope: string | undefined;
  constructor(description: string, scope?: string) {
    super(description);
    this.scope = scope;
  }
}

/** RFC 8707 / RFC 8693: the requested resource or audience is not acceptable. */
export class InvalidTarget extends OAuthError {
  readonly code = "invalid_target";
  readonly status = 400;
}

export class AccessDenied extends OAuthError {
  readonly code = "access_denied";
  readonly status = 400;
}

/** RFC 8628 §3.5: polling too fast. */
export class SlowDown extends OAuthError {
  readonly code = "slow_down";
  readonly status = 400;
}

/** RFC 8628 §3.5: the person has not decided yet; poll again after the interval. */
export class AuthorizationPending extends OAuthError {
  readonly code = "authorization_pending";
  readonly status = 400;
}

/** RFC 8628 §3.5: the device_code expired before the person decided; start over. */
export class ExpiredToken extends OAuthError {
  readonly code = "expired_token";
  readonly status = 400;
}

export class TemporarilyUnavailable extends OAuthError {
  readonly code = "temporarily_unavailable";
  readonly status = 503;
}

/**
 * 429 with Retry-After, when a throttle refuses. RFC 6749 has no code for it; of the codes it
 * registers, `temporarily_unavailable` says what a client should do (come back later) without
 * claiming its credentials are wrong: a valid secret is refused too until the window ends.
 * (`slow_down` is RFC 8628's polling signal with its own meaning: add 5 s to the interval.)
 */
export class TooManyRequests extends OAuthError {
  readonly code = "temporarily_unavailable";
  readonly status = 429;
  constructor(retryAfterSeconds: number) {
    super(`too many failed client authentications; retry after ${retryAfterSeconds} seconds`, { "retry-after": String(retryAfterSeconds) });
  }
}

/** RFC 9449 §5 and §8: a refused DPoP proof, or one without the server's current nonce (with the nonce to use). */
export class InvalidDpopProof extends OAuthError {
  readonly code: "invalid_dpop_proof" | "use_dpop_nonce";
  readonly status = 400;
  constructor(description: string, code: "invalid_dpop_proof" | "use_dpop_nonce" = "invalid_dpop_proof", nonce?: string) {
    super(description, nonce ? { "dpop-nonce": nonce } : {});
    this.code = code;
  }
}
