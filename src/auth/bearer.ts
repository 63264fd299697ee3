// Turns an `Authorization: Bearer` access token issued by this server into a Principal.
import { LRUCache } from "lru-cache";
import type { Services } from "../services.ts";
import type { Principal } from "./principal.ts";

export class InvalidTokenError extends Error {}

export async function principalFromBearer(header: string | undefined, services: Services): Promise<Principal> {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new InvalidTokenError("an access token is required: Authorization: Bearer <token>");
  let payload;
  try {
    ({ payload } = await services.keys.verifyJwt(match[1]!, {
      issuer: services.config.issuer,
      audience: services.config.issuer,
      typ: "at+jwt",
    }));
  } catch {
    throw new InvalidTokenError("the access token is invalid or expired");
  }
  const clientId = typeof payload.client_id === "string" ? payload.client_id : "";
  // A deleted application's tokens stop working at once, not at their expiry.
  const client = await services.clients.get(clientId);
  if (!client) throw new InvalidTokenError("the access token's application no longer exists");
  const organizationId = typeof payload.org_id === "string" ? payload.org_id : null;
  return {
    subject: String(payload.sub),
    clientId,
    organizationId,
    isOperator: organizationId ? await isOperator(services, organizationId) : false,
    scopes: new Set(typeof payload.scope === "string" ? payload.scope.split(" ") : []),
  };
}

// Whether an organization is the operator never changes after bootstrap.
const operatorCache = new LRUCache<string, boolean>({ max: 10_000 });

async function isOperator(services: Services, organizationId: string): Promise<boolean> {
  const cached = operatorCache.get(organizationId);
  if (cached !== undefined) return cached;
  const org = await services.db.organization.findUnique({ where: { id: organizationId }, select: { isOperator: true } });
  const value = org?.isOperator ?? false;
  if (org) operatorCache.set(organizationId, value);
  return value;
}
