// Who is calling the admin API: a verified access token becomes a Principal, once per request
// (src/graphql/handler.ts). The tenancy rule (tenancy.ts) decides which organizations a person's
// token acts in; an application's token acts in its own organization only.
import { isOperatorOrganization } from "./operator-organizations.ts";
import { publicId } from "../ids.ts";
import { InvalidTokenError, presentedAccessToken, verifyAccessToken, type VerifiedAccessToken } from "../auth/access-tokens.ts";
import type { Services } from "../services.ts";
import { isConnectScope } from "./policy.ts";
import type { Principal, Role } from "./principal.ts";
import { actingRoles, actsInEveryOrganization } from "./tenancy.ts";

export { InvalidTokenError };

type ResolverServices = Pick<Services, "keys" | "config" | "revocations" | "clients" | "verifiedAccessTokens" | "memberships" | "db" | "dpop">;

/** `dpop`: the request's DPoP header and method, for a token presented with the DPoP scheme (RFC 9449 §7). */
export async function principalFromBearer(
  header: string | undefined,
  services: ResolverServices,
  dpop?: { proof: string | string[] | undefined | null; method: string },
): Promise<Principal> {
  const presented = presentedAccessToken(header, dpop?.proof, { htm: dpop?.method ?? "POST", htu: `${services.config.issuer}/graphql` });
  if (!presented) throw new InvalidTokenError("an access token is required: Authorization: Bearer <token>");
  // The admin API is this server's own resource: its tokens carry the issuer as audience.
  const verified = await verifyAccessToken(services, presented.token, { audience: services.config.issuer, presentation: presented.presentation });
  return principalFor(services, verified);
}

export async function principalFor(services: Pick<Services, "memberships" | "db">, verified: VerifiedAccessToken): Promise<Principal> {
  const { client } = verified;
  if (verified.userId) {
    // Live roles (a removed member or a demoted admin loses access at once in this process,
    // within the directory's bound in any other), then only those of the organizations this
    // token acts in.
    const { roles, isOperator } = actingRoles(await services.memberships.get(verified.userId), client);
    // Defence in depth for tokens issued before the rule: the admin API's scopes count only on
    // tokens of the operator's first-party apps.
    const scopes = actsInEveryOrganization(client) ? verified.scopes : new Set([...verified.scopes].filter((s) => !isConnectScope(s)));
    return {
      kind: "USER",
      subject: publicId("User", verified.userId),
      userId: verified.userId,
      clientId: client.clientId,
      organizationId: client.organizationId,
      scopes,
      roles,
      isOperator,
    };
  }
  // An application acting as itself: the organization it belongs to, nothing else. Its
  // org_id claim must agree with the registry, or the token is not trusted with anything.
  const organizationId = client.organizationId;
  const own = organizationId && verified.organizationId === organizationId ? organizationId : null;
  return {
    kind: "APPLICATION",
    subject: client.clientId,
    userId: null,
    clientId: client.clientId,
    organizationId: own,
    scopes: verified.scopes,
    roles: new Map<string, Role>(own ? [[own, "ADMIN"]] : []),
    isOperator: own ? await isOperatorOrganization(services.db, own) : false,
  };
}
