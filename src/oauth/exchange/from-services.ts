// Token exchange's dependencies taken from the server's services (today's grant contract
// hands grants all of Services).
import { verifyAccessToken } from "../../auth/access-tokens.ts";
import type { Services } from "../../services.ts";
import { issueAccessToken } from "../access-token.ts";
import type { ExchangeDeps } from "./deps.ts";

const cache = new WeakMap<Services, ExchangeDeps>();

export function exchangeDeps(services: Services): ExchangeDeps {
  let deps = cache.get(services);
  if (!deps) {
    deps = {
      db: services.db,
      catalog: services.catalog,
      issuer: services.config.issuer,
      signAccessToken: (claims) => issueAccessToken(services.keys, services.catalog, services.config.issuer, claims),
      verifyAccessToken: (token) => verifyAccessToken(services, token),
      externalTokens: services.externalTokens,
    };
    cache.set(services, deps);
  }
  return deps;
}
