// What every form of token exchange answers (RFC 8693 §2.2.1): one access token for the
// person, for the acting application, in the application's organization, living as long as
// the application's tokenExchange.accessTokenTtlSeconds. No refresh token: the caller
// exchanges again.
import type { ClientView } from "../../applications/client-directory.ts";
import { publicId } from "../../ids.ts";
import { InvalidScope } from "../errors.ts";
import type { TokenResponse } from "../issuance/index.ts";
import type { ActClaim } from "./on-behalf-of.ts";
import type { ExchangeDeps } from "./deps.ts";
import { TOKEN_TYPE } from "./token-types.ts";

export async function issueExchangedToken(
  deps: Pick<ExchangeDeps, "signAccessToken">,
  client: ClientView,
  grant: { userId: string; scopes: readonly string[]; act?: ActClaim },
): Promise<TokenResponse & { jti: string }> {
  const { token, jti, expiresIn } = await deps.signAccessToken({
    subject: publicId("User", grant.userId),
    clientId: client.clientId,
    organizationId: client.organizationId,
    scopes: grant.scopes,
    ttlSeconds: client.tokenExchange.accessTokenTtlSeconds,
    ...(grant.act ? { extra: { act: grant.act } } : {}),
  });
  return {
    access_token: token,
    issued_token_type: TOKEN_TYPE.accessToken,
    token_type: "Bearer",
    expires_in: expiresIn,
    scope: grant.scopes.join(" "),
    jti,
  };
}

/**
 * External exchange: scopes granted to the app as DELEGATED. On-behalf-of scopes are left to
 * the on-behalf-of forms, which mark the token with `act`; offline_access would promise a
 * refresh token that exchange never issues.
 */
export function externalExchangeScopes(deps: Pick<ExchangeDeps, "catalog">, client: ClientView, requested: readonly string[]): void {
  const obo = requested.filter((s) => deps.catalog.scope(s)?.onBehalfOf);
  if (obo.length > 0) throw new InvalidScope(`on-behalf-of scopes are issued only on behalf of this server's own tokens: ${obo.join(" ")}`);
  if (requested.includes("offline_access")) throw new InvalidScope("token exchange issues no refresh token: do not request offline_access");
  const notGranted = requested.filter((s) => !client.delegatedGrants.has(s));
  if (notGranted.length > 0) throw new InvalidScope(`not granted to this application as DELEGATED permissions: ${notGranted.join(" ")}`);
}
