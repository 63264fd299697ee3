// What token exchange needs from the rest of the server, and nothing more: the grant modules
// build it from whatever the token endpoint hands them.
import type { VerifiedAccessToken } from "../../auth/access-tokens.ts";
import type { IdentityProviderRow } from "../../applications/identity-provider-directory.ts";
import type { ExternalTokenVerifier } from "../../auth/external-tokens.ts";
import type { Catalog } from "../../catalog/index.ts";
import type { Db } from "../../db/client.ts";
import type { AccessTokenClaims } from "../issuance/index.ts";
import type { MembershipDirectory } from "../../access/memberships.ts";

export interface ExchangeDeps {
  db: Db;
  catalog: Catalog;
  /** This server's issuer: a subject token from it is on-behalf-of, from anyone else external. */
  issuer: string;
  /** Signs an RFC 9068 access token (the token endpoint's issuance). */
  signAccessToken(claims: AccessTokenClaims): Promise<{ token: string; jti: string; expiresIn: number }>;
  /** The ONE verifier of this server's access tokens. */
  verifyAccessToken(token: string): Promise<VerifiedAccessToken>;
  /** Identity providers' tokens, against their cached JWKS. */
  externalTokens: Pick<ExternalTokenVerifier, "verify">;
  /** The organization's identity providers, briefly cached (src/applications/identity-provider-directory.ts). */
  providersOf(organizationId: string): Promise<readonly IdentityProviderRow[]>;
  /** The person with this lower-case email, or null (found people cached for good: emails never change). */
  userIdByEmail(email: string): Promise<string | null>;
  /** People's roles per organization: the one membership directory the policy reads (src/access). */
  memberships: Pick<MembershipDirectory, "get" | "isMember">;
}
