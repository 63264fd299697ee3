// The contract of a grant: one module per grant type in this folder, one line in index.ts.
// A grant declares its form parameters as a zod object schema and the dependencies it needs by
// name; the token endpoint's steps (token.ts) authenticate the client, parse the parameters
// and hand the grant exactly that, never all of Services or the HTTP request.
import type { z } from "zod";
import type { VerifiedAccessToken } from "../../auth/access-tokens.ts";
import type { ClientView } from "../../applications/client-directory.ts";
import type { IdentityProviderDirectory } from "../../applications/identity-provider-directory.ts";
import type { ExternalTokenVerifier } from "../../auth/external-tokens.ts";
import type { MembershipDirectory } from "../../access/memberships.ts";
import type { Catalog } from "../../catalog/index.ts";
import type { Db } from "../../db/client.ts";
import type { AuthenticatedClient } from "../client-auth.ts";
import type { TokenIssuance, TokenResponse } from "../issuance/index.ts";

export type { TokenResponse } from "../issuance/index.ts";

/** Everything a grant may ask for; each grant names the subset it uses in `needs`. */
export interface GrantDependencies {
  /** Codes, refresh tokens and any other rows a grant reads or claims. */
  db: Db;
  /** Issuing and revoking tokens: the only way a grant makes a token. */
  issuance: TokenIssuance;
  /** The one access-token verifier (signature, typ, issuer, audience, expiry, revocation, app exists). */
  accessTokens: { verify(token: string, options?: { audience?: string }): Promise<VerifiedAccessToken> };
  /** Applications by client_id, e.g. an actor or audience named in a request. */
  clients: { get(clientId: string): Promise<ClientView | null> };
  catalog: Catalog;
  issuer: string;
  /** Identity providers' tokens, verified against their cached JWKS (token exchange). */
  externalTokens: Pick<ExternalTokenVerifier, "verify">;
  /** A person's roles per organization, briefly cached: the one way memberships are read (src/access/memberships.ts). */
  memberships: Pick<MembershipDirectory, "get" | "isMember" | "userIdByEmail">;
  /** Each organization's identity providers, briefly cached (token exchange). */
  identityProviders: Pick<IdentityProviderDirectory, "ofOrganization">;
}

/** The form parameters a grant reads: an object of optional or required strings. */
export type GrantParameters = z.ZodObject<Record<string, z.ZodType<string | undefined>>>;

export interface GrantInput<P extends GrantParameters, N extends keyof GrantDependencies> {
  /** The grant's own parameters, parsed by its schema; nothing else from the body. */
  params: z.output<P>;
  client: AuthenticatedClient;
  deps: Pick<GrantDependencies, N>;
}

export interface Grant<P extends GrantParameters = GrantParameters, N extends keyof GrantDependencies = keyof GrantDependencies> {
  /** The `grant_type` value, e.g. "urn:ietf:params:oauth:grant-type:token-exchange". */
  readonly grantType: string;
  /** Form fields this grant reads (everything else is stripped). A missing required field is invalid_request. */
  readonly parameters: P;
  /** Public clients (SPA, NATIVE) may authenticate with client_id alone (`none`) for this grant. */
  readonly allowsPublicClients?: boolean;
  /** The dependencies handed to `handler` as `deps`. */
  readonly needs: readonly N[];
  /** Throws an OAuthError subclass (errors.ts) for every refusal. */
  handler(input: GrantInput<P, N>): Promise<TokenResponse>;
}

/** Lets TypeScript infer a grant's parameter and dependency types from its literal. */
export function defineGrant<P extends GrantParameters, N extends keyof GrantDependencies>(grant: Grant<P, N>): Grant<P, N> {
  return grant;
}
