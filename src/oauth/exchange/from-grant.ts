// Token exchange's dependencies taken from what the token endpoint hands a grant.
import type { GrantDependencies } from "../grants/types.ts";
import type { ExchangeDeps } from "./deps.ts";

export const EXCHANGE_NEEDS = ["db", "catalog", "issuer", "issuance", "accessTokens", "externalTokens", "memberships", "identityProviders"] as const;

type Given = Pick<GrantDependencies, (typeof EXCHANGE_NEEDS)[number]>;

// The endpoint builds each grant's dependencies once, so this is built once per grant too.
const built = new WeakMap<Given, ExchangeDeps>();

export function exchangeDepsFrom(deps: Given): ExchangeDeps {
  let exchange = built.get(deps);
  if (!exchange) {
    exchange = {
      db: deps.db,
      catalog: deps.catalog,
      issuer: deps.issuer,
      signAccessToken: (claims) => deps.issuance.accessToken(claims),
      verifyAccessToken: (token) => deps.accessTokens.verify(token),
      externalTokens: deps.externalTokens,
      providersOf: (organizationId) => deps.identityProviders.ofOrganization(organizationId),
      userIdByEmail: (email) => deps.memberships.userIdByEmail(email),
      memberships: deps.memberships,
    };
    built.set(deps, exchange);
  }
  return exchange;
}
