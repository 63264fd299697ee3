// Single sign-on through an organization's identity provider: OpenID Connect authorization
// code flow with PKCE (S256), `state` and `nonce` on the upstream leg. The state is stored
// hashed with the nonce, the PKCE verifier and the page to return to, bound to the browser
// that started (its CSRF cookie), and used once. The ID token is checked like any external
// token (src/auth/external-tokens.ts: issuer, audience = the client_id, signature against the
// provider's keys, expiry), then the nonce and a verified email.
//
// Every failure is an SsoError whose title and message say what happened, for a page.
import { createHash, randomBytes } from "node:crypto";
import type { Config } from "../config/index.ts";
import type { Db, Prisma } from "../db/client.ts";
import type { JitRole } from "../applications/identity-providers.ts";
import { checkProviderUrl } from "./provider-urls.ts";
import type { IdentityProviderRow } from "../applications/identity-provider-directory.ts";
import { ssoSignIn } from "../access/policy.ts";
import { audit } from "../audit/record.ts";
import { openProviderSecret } from "../crypto/key-encryption.ts";
import { sha256 } from "../crypto/random.ts";
import { publicId } from "../ids.ts";
import { ExternalTokenError, type ExternalTokenVerifier } from "./external-tokens.ts";

export const SSO_CALLBACK_PATH = "/oauth/sso/callback";
/** How long a person has at the provider before the state expires. */
const STATE_TTL_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 5000;
const METADATA_MAX_AGE_MS = 10 * 60_000;

export class SsoError extends Error {
  override name = "SsoError";
  /** Where the sign-in was going, once known: the error page's way back. */
  returnTo: string | undefined;
  constructor(
    readonly title: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface UpstreamMetadata {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** client_secret_basic unless the provider lists only client_secret_post. */
  authMethod: "client_secret_basic" | "client_secret_post";
  at: number;
}

export interface SignInProvider {
  id: string;
  name: string;
}

/** A sign-in that came back: who, and where to go next. */
export interface SsoResult {
  userId: string;
  returnTo: string;
}

type Provider = IdentityProviderRow;

interface IdClaims {
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  name?: unknown;
  nonce?: unknown;
  aud?: unknown;
  azp?: unknown;
}

type Match = { userId: string; joined: JitRole | null } | { refused: string };

/**
 * The facts sso.sign_in (src/access/policy.ts) decides on, read in the sign-in's transaction:
 * the linked person and their membership, else the person with the verified email and theirs.
 */
export async function matchSsoPerson(tx: Prisma.TransactionClient, provider: Provider & { organizationName: string; emailDomains: string[] }, claims: IdClaims): Promise<Match> {
  const isMember = async (userId: string) =>
    (await tx.membership.findUnique({ where: { organizationId_userId: { organizationId: provider.organizationId, userId } }, select: { id: true } })) !== null;
  const link = await tx.externalIdentity.findUnique({ where: { identityProviderId_subject: { identityProviderId: provider.id, subject: claims.sub } } });
  const linked = link ? { userId: link.userId, isMember: await isMember(link.userId) } : null;
  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
  const emailVerified = claims.email_verified === true || claims.email_verified === "true";
  const user = !linked && email && emailVerified ? await tx.user.findUnique({ where: { email }, select: { id: true } }) : null;
  const existing = user ? { userId: user.id, isMember: await isMember(user.id) } : null;
  const decision = ssoSignIn({
    provider: { name: provider.name, organizationName: provider.organizationName, jitRole: provider.signInJitRole as JitRole | null, emailDomains: provider.emailDomains },
    linked,
    email,
    emailVerified,
    existing,
  });
  if ("refused" in decision) return decision;
  if ("join" in decision) return { userId: "", joined: decision.join };
  return { userId: decision.userId, joined: null };
}

export class SsoSignIn {
  readonly #db: Db;
  readonly #config: Config;
  readonly #tokens: ExternalTokenVerifier;
  readonly #allowLoopbackHttp: boolean;
  readonly #onJoin: (userId: string) => void | Promise<void>;
  #metadata = new Map<string, UpstreamMetadata>();

  constructor(deps: { db: Db; config: Config; externalTokens: ExternalTokenVerifier; allowLoopbackHttp: boolean; onJoin?: (userId: string) => void | Promise<void> }) {
    this.#db = deps.db;
    this.#config = deps.config;
    this.#tokens = deps.externalTokens;
    this.#allowLoopbackHttp = deps.allowLoopbackHttp;
    this.#onJoin = deps.onJoin ?? (() => undefined);
  }

  get redirectUri(): string {
    return `${this.#config.issuer}${SSO_CALLBACK_PATH}`;
  }

  /** The sign-in providers of an organization, for its apps' "Continue with ..." buttons. */
  async providersOf(organizationId: string): Promise<SignInProvider[]> {
    return this.#db.identityProvider.findMany({
      where: { organizationId, signInEnabled: true },
      select: { id: true, name: true },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
  }

  /** Home-realm discovery: the sign-in provider that claims this email's domain, if any. */
  async providerForEmail(emailInput: string): Promise<SignInProvider | null> {
    const email = emailInput.trim().toLowerCase();
    const at = email.lastIndexOf("@");
    if (at < 1 || email.length > 254) return null;
    const row = await this.#db.identityProviderDomain.findUnique({
      where: { domain: email.slice(at + 1) },
      select: { identityProvider: { select: { id: true, name: true, signInEnabled: true } } },
    });
    return row?.identityProvider.signInEnabled ? { id: row.identityProvider.id, name: row.identityProvider.name } : null;
  }

  /** Starts a sign-in: stores the state and answers the provider's authorization URL. */
  async start(providerId: string, opts: { returnTo: string; browserToken: string; loginHint?: string }): Promise<string> {
    const provider = await this.#db.identityProvider.findUnique({ where: { id: providerId } });
    if (!provider || !provider.signInEnabled || !provider.signInClientId) {
      throw new SsoError("Sign-in is not available", "This identity provider does not sign people in here (it was removed or its sign-in was turned off).", 404);
    }
    const metadata = await this.#discover(provider);
    const state = randomBytes(32).toString("base64url");
    const nonce = randomBytes(32).toString("base64url");
    const verifier = randomBytes(32).toString("base64url");
    await this.#db.ssoLogin.create({
      data: {
        stateHash: sha256(state),
        identityProviderId: provider.id,
        nonce,
        codeVerifier: verifier,
        browserHash: sha256(opts.browserToken),
        returnTo: opts.returnTo,
        expiresAt: new Date(Date.now() + STATE_TTL_MS),
      },
    });
    const url = new URL(metadata.authorizationEndpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", provider.signInClientId);
    url.searchParams.set("redirect_uri", this.redirectUri);
    url.searchParams.set("scope", "openid email profile");
    url.searchParams.set("state", state);
    url.searchParams.set("nonce", nonce);
    url.searchParams.set("code_challenge", createHash("sha256").update(verifier).digest("base64url"));
    url.searchParams.set("code_challenge_method", "S256");
    if (opts.loginHint) url.searchParams.set("login_hint", opts.loginHint);
    return url.toString();
  }

  /** The provider sent the browser back: check everything, find (or let join) the person. */
  async finish(query: Record<string, string | undefined>, browserToken: string | undefined): Promise<SsoResult> {
    const state = query.state ?? "";
    if (!state || state.length > 200) throw new SsoError("Sign-in failed", "The identity provider sent you back without the sign-in's state. Start the sign-in again.");
    const login = await this.#db.ssoLogin.findUnique({ where: { stateHash: sha256(state) } });
    if (!login || login.expiresAt.getTime() <= Date.now()) {
      throw new SsoError("This sign-in has expired", "It was started too long ago or is unknown here. Go back to the application and sign in again.");
    }
    if (!browserToken || sha256(browserToken) !== login.browserHash) {
      throw new SsoError("Sign-in failed", "This sign-in was started in another browser. Sign in again from this one.", 403);
    }
    try {
      return await this.#complete(login, query);
    } catch (err) {
      if (err instanceof SsoError) err.returnTo = login.returnTo;
      throw err;
    }
  }

  async #complete(login: { id: string; identityProviderId: string; nonce: string; codeVerifier: string; returnTo: string }, query: Record<string, string | undefined>): Promise<SsoResult> {
    // Claimed once, conditionally: a replayed state (the same callback twice) stops here.
    const claimed = await this.#db.ssoLogin.updateMany({ where: { id: login.id, usedAt: null }, data: { usedAt: new Date() } });
    if (claimed.count !== 1) throw new SsoError("This sign-in was already used", "The identity provider's answer can be used once. Go back to the application and sign in again.");

    const provider = await this.#db.identityProvider.findUnique({
      where: { id: login.identityProviderId },
      include: { organization: { select: { name: true } }, emailDomains: { select: { domain: true } } },
    });
    if (!provider || !provider.signInEnabled || !provider.signInClientId || !provider.signInClientSecret) {
      throw new SsoError("Sign-in is not available", "This identity provider no longer signs people in here.", 404);
    }
    if (query.error) {
      const said = query.error_description ? `: ${query.error_description.slice(0, 300)}` : "";
      throw new SsoError(`${provider.name} did not sign you in`, `${provider.name} answered ${query.error.slice(0, 100)}${said}.`);
    }
    if (!query.code) throw new SsoError("Sign-in failed", `${provider.name} sent you back without an authorization code.`);

    const metadata = await this.#discover(provider);
    const idToken = await this.#redeem(provider, metadata, query.code, login.codeVerifier);
    let claims: IdClaims;
    try {
      claims = (await this.#tokens.verify(
        idToken,
        { name: provider.name, issuer: provider.issuer, jwksUri: provider.jwksUri ?? metadata.jwksUri, audience: provider.signInClientId, clockSkewSeconds: provider.clockSkewSeconds },
        "ID token",
      )) as IdClaims;
    } catch (err) {
      if (err instanceof ExternalTokenError) throw new SsoError(`${provider.name}'s answer was refused`, capitalise(`${err.message}.`));
      throw err;
    }
    if (claims.nonce !== login.nonce) throw new SsoError(`${provider.name}'s answer was refused`, "The ID token's nonce is not the one this sign-in sent: it belongs to another sign-in.");
    // OpenID Connect Core §3.1.3.7: with several audiences, azp must name this client.
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== provider.signInClientId) {
      throw new SsoError(`${provider.name}'s answer was refused`, "The ID token names several audiences and this server is not its authorized party (azp).");
    }

    const target = { ...provider, organizationName: provider.organization.name, emailDomains: provider.emailDomains.map((d) => d.domain) };
    const userId = await this.#db.$transaction(async (tx) => {
      const match = await matchSsoPerson(tx, target, claims);
      if ("refused" in match) throw new SsoError(`You cannot sign in through ${provider.name}`, match.refused, 403);
      if (!match.joined) {
        await audit(tx, { kind: "USER", subject: publicId("User", match.userId) }, provider.organizationId, "user.signed_in_sso", match.userId, {
          identityProviderId: publicId("IdentityProvider", provider.id),
        });
        return match.userId;
      }
      const email = String(claims.email).trim().toLowerCase();
      // No password: "!" is no argon2 hash, so password sign-in fails until the person sets one.
      const user = await tx.user.create({ data: { email, passwordHash: "!sso", name: typeof claims.name === "string" ? claims.name.slice(0, 200) : null } });
      await tx.membership.create({ data: { organizationId: provider.organizationId, userId: user.id, role: match.joined } });
      await tx.externalIdentity.create({ data: { identityProviderId: provider.id, subject: claims.sub, userId: user.id } });
      await audit(tx, { kind: "USER", subject: publicId("User", user.id) }, provider.organizationId, "membership.joined", user.id, {
        role: match.joined,
        identityProviderId: publicId("IdentityProvider", provider.id),
      });
      return user.id;
    });
    await this.#onJoin(userId);
    return { userId, returnTo: login.returnTo };
  }

  async #redeem(provider: Provider, metadata: UpstreamMetadata, code: string, verifier: string): Promise<string> {
    const clientId = provider.signInClientId!;
    const secret = openProviderSecret(provider.signInClientSecret!, this.#config.keyEncryptionSecret);
    const form = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: this.redirectUri, code_verifier: verifier });
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    if (metadata.authMethod === "client_secret_basic") {
      // RFC 6749 §2.3.1: each part form-urlencoded before base64.
      const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
      headers.authorization = `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString("base64")}`;
    } else {
      form.set("client_id", clientId);
      form.set("client_secret", secret);
    }
    let res: Response;
    try {
      res = await fetch(metadata.tokenEndpoint, { method: "POST", headers, body: form, redirect: "error", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (err) {
      throw unreachable(provider, err, "token endpoint");
    }
    const body = (await res.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown; error_description?: unknown };
    if (!res.ok) {
      const said = typeof body.error === "string" ? ` (${body.error.slice(0, 100)}${typeof body.error_description === "string" ? `: ${body.error_description.slice(0, 300)}` : ""})` : "";
      throw new SsoError(`${provider.name} refused the sign-in`, `${provider.name}'s token endpoint answered HTTP ${res.status}${said}. Its client ID or secret here may be wrong.`, 502);
    }
    if (typeof body.id_token !== "string") throw new SsoError(`${provider.name}'s answer was refused`, `${provider.name} answered without an ID token.`, 502);
    return body.id_token;
  }

  /** The provider's endpoints from its OpenID Connect metadata, cached for ten minutes. */
  async #discover(provider: Provider): Promise<UpstreamMetadata> {
    const cached = this.#metadata.get(provider.issuer);
    if (cached && Date.now() - cached.at < METADATA_MAX_AGE_MS) return cached;
    let res: Response;
    try {
      res = await fetch(`${provider.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`, {
        headers: { accept: "application/json" },
        redirect: "error",
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (err) {
      throw unreachable(provider, err, "metadata");
    }
    if (!res.ok) throw new SsoError(`${provider.name} cannot be reached`, `${provider.name}'s OpenID Connect metadata answered HTTP ${res.status}. Try again later, or tell an administrator.`, 502);
    const doc = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    const url = (key: string) => (typeof doc[key] === "string" && !checkProviderUrl(doc[key], this.#allowLoopbackHttp) ? (doc[key] as string) : null);
    const authorizationEndpoint = url("authorization_endpoint");
    const tokenEndpoint = url("token_endpoint");
    const jwksUri = provider.jwksUri ?? url("jwks_uri");
    if (doc.issuer !== provider.issuer || !authorizationEndpoint || !tokenEndpoint || !jwksUri) {
      throw new SsoError(`${provider.name} is not set up right`, `${provider.name}'s OpenID Connect metadata names another issuer or lacks a usable authorization, token or keys endpoint. Tell an administrator.`, 502);
    }
    const methods = Array.isArray(doc.token_endpoint_auth_methods_supported) ? doc.token_endpoint_auth_methods_supported : ["client_secret_basic"];
    const metadata: UpstreamMetadata = {
      authorizationEndpoint,
      tokenEndpoint,
      jwksUri,
      authMethod: !methods.includes("client_secret_basic") && methods.includes("client_secret_post") ? "client_secret_post" : "client_secret_basic",
      at: Date.now(),
    };
    this.#metadata.set(provider.issuer, metadata);
    return metadata;
  }

  /** A provider's settings changed: its metadata is fetched again. */
  forget(issuer: string): void {
    this.#metadata.delete(issuer);
  }

  /** Every provider's metadata is fetched again (a change elsewhere, or a reconnect of the change feed). */
  forgetAll(): void {
    this.#metadata.clear();
  }
}

function unreachable(provider: Provider, err: unknown, what: string): SsoError {
  const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
  return new SsoError(
    `${provider.name} cannot be reached`,
    timedOut
      ? `${provider.name}'s ${what} did not answer within ${FETCH_TIMEOUT_MS / 1000} seconds. Try again later, or sign in with your password.`
      : `${provider.name}'s ${what} could not be reached. Try again later, or sign in with your password.`,
    502,
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
