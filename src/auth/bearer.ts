// Turns an `Authorization: Bearer` access token issued by this server into a Principal for the
// admin API: the token goes through the one verifier, then the caller's organizations are read.
import { LRUCache } from "lru-cache";
import { publicId } from "../ids.ts";
import type { Services } from "../services.ts";
import { InvalidTokenError, presentedAccessToken, verifyAccessToken, type VerifiedAccessToken } from "./access-tokens.ts";
import type { Principal, Role } from "./principal.ts";

export { InvalidTokenError };

/** `dpop`: the request's DPoP header and method, for a token presented with the DPoP scheme (RFC 9449 §7). */
export async function principalFromBearer(header: string | undefined, services: Services, dpop?: { proof: string | string[] | undefined | null; method: string }): Promise<Principal> {
  const presented = presentedAccessToken(header, dpop?.proof, { htm: dpop?.method ?? "POST", htu: `${services.config.issuer}/graphql` });
  if (!presented) throw new InvalidTokenError("an access token is required: Authorization: Bearer <token>");
  // The admin API is this server's own resource: its tokens carry the issuer as audience.
  const verified = await verifyAccessToken(services, presented.token, { audience: services.config.issuer, presentation: presented.presentation });
  return principalFor(services, verified);
}

export async function principalFor(services: Services, verified: VerifiedAccessToken): Promise<Principal> {
  if (verified.userId) {
    // People act through their memberships: a removed member or a demoted admin loses access
    // at once in this process, and within seconds in any other (src/auth/memberships.ts).
    const { roles, isOperator } = await services.memberships.get(verified.userId);
    return {
      kind: "USER",
      subject: publicId("User", verified.userId),
      userId: verified.userId,
      clientId: verified.client.clientId,
      organizationId: null,
      scopes: verified.scopes,
      roles,
      isOperator,
    };
  }
  // An application acting as itself: the organization it belongs to, nothing else. Its
  // org_id claim must agree with the registry, or the token is not trusted with anything.
  const organizationId = verified.client.organizationId;
  const claimed = verified.organizationId;
  const own = organizationId && claimed === organizationId ? organizationId : null;
  return {
    kind: "APPLICATION",
    subject: verified.client.clientId,
    userId: null,
    clientId: verified.client.clientId,
    organizationId: own,
    scopes: verified.scopes,
    roles: new Map<string, Role>(own ? [[own, "ADMIN"]] : []),
    isOperator: own ? await isOperatorOrganization(services, own) : false,
  };
}

// Whether an organization is the operator never changes after bootstrap.
const operatorCache = new LRUCache<string, boolean>({ max: 10_000 });

async function isOperatorOrganization(services: Services, organizationId: string): Promise<boolean> {
  const cached = operatorCache.get(organizationId);
  if (cached !== undefined) return cached;
  const org = await services.db.organization.findUnique({ where: { id: organizationId }, select: { isOperator: true } });
  const value = org?.isOperator ?? false;
  if (org) operatorCache.set(organizationId, value);
  return value;
}
