// The one room where tokens are made and unmade. Every grant issues through TokenIssuance, so
// the claim rules (public `org_`/`usr_` ids, audiences from the catalog, lifetimes) and the
// revocation bookkeeping hold for all of them alike.
import type { ClientView } from "../../applications/client-directory.ts";
import type { Prisma } from "../../db/client.ts";
import { issueAccessToken, type AccessTokenClaims } from "./access-token.ts";
import { revokeAccessTokenId, revokeFamily } from "../../auth/revocation-notes.ts";
import type { IssuanceSettings, TokenResponse } from "./types.ts";
import { issueUserTokens, type IssuedUserTokens, type UserGrant } from "./user-tokens.ts";

export type { IssuanceSettings, TokenResponse } from "./types.ts";
export type { IssuedUserTokens, UserGrant } from "./user-tokens.ts";
export { atHash, identityClaims } from "./user-tokens.ts";
export { audiencesFor, type AccessTokenClaims } from "./access-token.ts";

type Tx = Prisma.TransactionClient;

export class TokenIssuance {
  readonly #settings: IssuanceSettings;

  constructor(settings: IssuanceSettings) {
    this.#settings = settings;
  }

  get accessTokenTtlSeconds(): number {
    return this.#settings.accessTokenTtlSeconds;
  }

  /** An application acting as itself (client_credentials): subject and client are the app. */
  async applicationAccessToken(client: ClientView, scopes: readonly string[]): Promise<TokenResponse> {
    const { token, expiresIn } = await this.accessToken({
      subject: client.clientId,
      clientId: client.clientId,
      organizationId: client.organizationId,
      scopes,
      ttlSeconds: this.#settings.accessTokenTtlSeconds,
    });
    return { access_token: token, token_type: "Bearer", expires_in: expiresIn, scope: scopes.join(" ") };
  }

  /** A bare RFC 9068 access token with the given claims (token exchange builds its own). */
  accessToken(claims: AccessTokenClaims): Promise<{ token: string; jti: string; expiresIn: number }> {
    const { keys, catalog, issuer } = this.#settings;
    return issueAccessToken(keys, catalog, issuer, claims);
  }

  /** An application acting for a person: access token, refresh token (offline_access), ID token (openid). */
  userTokens(tx: Tx, grant: UserGrant): Promise<IssuedUserTokens> {
    return issueUserTokens(this.#settings, tx, grant);
  }

  revokeFamily(tx: Tx, familyId: string): Promise<void> {
    return revokeFamily(tx, this.#settings.revocations, familyId);
  }

  revokeAccessToken(tx: Tx, jti: string, expiresAt: Date): Promise<void> {
    return revokeAccessTokenId(tx, this.#settings.revocations, jti, expiresAt);
  }
}
