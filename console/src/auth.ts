// Sign-in as the first-party public client `scopekeeper-console`: authorization code with PKCE
// (S256) through /oauth/authorize, exactly like any other app. Tokens live in this module's
// memory only; a reload signs in again through the server's session cookie (one redirect, no
// password). The refresh token rotates on every use and renews the access token before expiry.
import * as oauth from "oauth4webapi";

export const CLIENT_ID = "scopekeeper-console";
const SCOPE = "openid offline_access connect.applications.read connect.applications.manage";
let client: oauth.Client = { client_id: CLIENT_ID };
const clientAuth = oauth.None();
// Only the PKCE verifier, state and nonce cross the redirect, in sessionStorage; they are
// useless without the code and removed at once. Tokens never go there.
const PENDING_KEY = "scopekeeper-console:pending";

const origin = window.location.origin;
const insecure = window.location.protocol === "http:" ? { [oauth.allowInsecureRequests]: true } : {};
export const redirectUri = `${origin}/console/callback`;

let server: oauth.AuthorizationServer | null = null;
let accessToken: string | null = null;
let refreshToken: string | null = null;
let renewTimer: number | undefined;
let renewing: Promise<string | null> | null = null;

/** The server's metadata (RFC 8414), read once: its issuer and endpoint URLs. */
export async function authorizationServer(): Promise<oauth.AuthorizationServer> {
  if (server) return server;
  const response = await fetch(`${origin}/.well-known/openid-configuration`, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`the server's metadata could not be read (HTTP ${response.status})`);
  server = (await response.json()) as oauth.AuthorizationServer;
  // ID tokens are signed with the server's algorithm (ES256 by default), not the library's RS256 default.
  const alg = server.id_token_signing_alg_values_supported?.[0];
  if (alg) client = { ...client, id_token_signed_response_alg: alg };
  return server;
}

export function currentAccessToken(): string | null {
  return accessToken;
}

let signingIn: Promise<never> | null = null;

/**
 * Sends the browser to the authorization server; it comes back to /console/callback. Once:
 * the shell and the GraphQL client may both find no token, and a second navigation would
 * abort the first (and replace the pending state it carries).
 */
export function signIn(returnTo = window.location.pathname + window.location.search): Promise<never> {
  signingIn ??= startSignIn(returnTo).catch((err: unknown) => {
    signingIn = null; // discovery failed: the next attempt starts afresh
    throw err;
  });
  return signingIn;
}

async function startSignIn(returnTo: string): Promise<never> {
  const as = await authorizationServer();
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo }));
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  }).toString();
  window.location.assign(url.toString());
  return new Promise<never>(() => {});
}

/** At /console/callback: trades the code for tokens and says where the person was going. */
export async function completeSignIn(): Promise<string> {
  const pendingRaw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!pendingRaw) throw new Error("This sign-in link was already used or has expired. Sign in again.");
  const pending = JSON.parse(pendingRaw) as { verifier: string; state: string; nonce: string; returnTo: string };
  const as = await authorizationServer();
  const params = oauth.validateAuthResponse(as, client, new URL(window.location.href), pending.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, pending.verifier, insecure);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
  keep(tokens);
  return pending.returnTo.startsWith("/console") && !pending.returnTo.startsWith("/console/callback") ? pending.returnTo : "/console/";
}

function keep(tokens: oauth.TokenEndpointResponse): void {
  accessToken = tokens.access_token;
  refreshToken = tokens.refresh_token ?? refreshToken;
  window.clearTimeout(renewTimer);
  const lifetime = typeof tokens.expires_in === "number" ? tokens.expires_in : 300;
  // Renew a minute early (or at 80% for short tokens), so a request never carries an expired token.
  const renewIn = Math.max(5, Math.min(lifetime - 60, lifetime * 0.8)) * 1000;
  if (refreshToken) renewTimer = window.setTimeout(() => void renew(), renewIn);
}

/** Uses the rotating refresh token once; null when the session is over. */
export function renew(): Promise<string | null> {
  renewing ??= (async () => {
    try {
      if (!refreshToken) return null;
      const as = await authorizationServer();
      const used = refreshToken;
      refreshToken = null; // rotated: never presented twice
      const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, used, insecure);
      keep(await oauth.processRefreshTokenResponse(as, client, response));
      return accessToken;
    } catch {
      accessToken = null;
      return null;
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

export async function signOut(): Promise<void> {
  const as = await authorizationServer().catch(() => null);
  const token = refreshToken;
  accessToken = null;
  refreshToken = null;
  window.clearTimeout(renewTimer);
  if (as && token) {
    await oauth.revocationRequest(as, client, clientAuth, token, insecure).catch(() => undefined);
  }
  const end = as?.end_session_endpoint;
  window.location.assign(end ? `${end}?client_id=${CLIENT_ID}&post_logout_redirect_uri=${encodeURIComponent(`${origin}/console/`)}` : "/console/");
}
