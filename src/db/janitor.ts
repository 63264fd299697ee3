// Deletes rows whose only purpose has expired: used or stale codes, ended sessions, dead
// refresh tokens and revocation entries of access tokens that would have expired anyway.
import type { Db } from "./client.ts";

const GRACE_MS = 24 * 3600 * 1000; // keep a day of history for replay detection and audits

/**
 * `auditRetentionDays`: audit events older than this are deleted too (AUDIT_RETENTION_DAYS,
 * 400 by default: a year and a bit, so a yearly review always sees a whole year).
 */
export async function sweepExpired(db: Db, now = new Date(), auditRetentionDays = 400): Promise<number> {
  const before = new Date(now.getTime() - GRACE_MS);
  const results = await Promise.all([
    db.auditEvent.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - auditRetentionDays * 86_400_000) } } }),
    db.authorizationCode.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.deviceAuthorization.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.session.deleteMany({ where: { expiresAt: { lt: now } } }),
    db.ssoLogin.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.refreshToken.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.revokedAccessToken.deleteMany({ where: { expiresAt: { lt: now } } }),
  ]);
  return results.reduce((n, r) => n + r.count, 0);
}

export function startJanitor(db: Db, auditRetentionDays: number, intervalMs = 10 * 60_000): () => void {
  const timer = setInterval(() => void sweepExpired(db, new Date(), auditRetentionDays).catch(() => undefined), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
