// Secret hygiene: which active client secrets expire soon, for the admin API's filter and for a
// cron job (`scopekeeper secrets expiring`). An expired or revoked secret no longer counts.
import type { Db } from "../db/client.ts";
import { ValidationError } from "../errors.ts";

export const EXPIRING_WITHIN_DAYS_MAX = 3650;

/** Prisma filter: active secrets whose expiry falls within the next `days` days. */
export function expiringSecretsWhere(days: number, now = new Date()): object {
  if (!Number.isInteger(days) || days < 0 || days > EXPIRING_WITHIN_DAYS_MAX) {
    throw new ValidationError([
      { path: ["filter", "secretExpiringWithinDays"], code: "expiring_days_range", message: `must be a whole number of days from 0 to ${EXPIRING_WITHIN_DAYS_MAX}` },
    ]);
  }
  return { revokedAt: null, expiresAt: { gt: now, lte: new Date(now.getTime() + days * 86_400_000) } };
}

export interface ExpiringSecret {
  secretId: string;
  hint: string;
  description: string | null;
  expiresAt: Date;
  lastUsedAt: Date | null;
  application: { id: string; clientId: string; name: string; organizationId: string | null };
}

/** Every organization's active secrets expiring within `days`, soonest first (operators' view). */
export async function expiringSecrets(db: Db, days: number, now = new Date()): Promise<ExpiringSecret[]> {
  const rows = await db.clientSecret.findMany({
    where: expiringSecretsWhere(days, now),
    orderBy: { expiresAt: "asc" },
    include: { application: { select: { id: true, clientId: true, name: true, organizationId: true } } },
  });
  return rows.map((s) => ({
    secretId: s.id,
    hint: s.hint,
    description: s.description,
    expiresAt: s.expiresAt!,
    lastUsedAt: s.lastUsedAt,
    application: s.application,
  }));
}
