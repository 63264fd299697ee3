// Whether an organization is the operator, as the resolution of an application's token asks.
// It never changes after bootstrap, so the answer is kept with no expiry; a reconnect of the
// change feed (when a restore or a hand edit may have gone unannounced) empties it anyway.
import { LRUCache } from "lru-cache";
import type { Db } from "../db/client.ts";

const operatorCache = new LRUCache<string, boolean>({ max: 10_000 });

export async function isOperatorOrganization(db: Pick<Db, "organization">, organizationId: string): Promise<boolean> {
  const cached = operatorCache.get(organizationId);
  if (cached !== undefined) return cached;
  const org = await db.organization.findUnique({ where: { id: organizationId }, select: { isOperator: true } });
  const value = org?.isOperator ?? false;
  if (org) operatorCache.set(organizationId, value);
  return value;
}

export function forgetOperatorOrganizations(): void {
  operatorCache.clear();
}
