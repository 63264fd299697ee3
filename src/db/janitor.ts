// Deletes rows whose only purpose has expired: used or stale codes, ended sessions, dead
// refresh tokens and revocation entries of access tokens that would have expired anyway.
// On PostgreSQL every server process runs the janitor's timer, but a sweep takes an advisory
// lock first: while one process sweeps, the others skip their turn instead of racing it
// through the same deletes.
import type { Db, Prisma } from "./client.ts";
import type { Provider } from "./url.ts";

const GRACE_MS = 24 * 3600 * 1000; // keep a day of history for replay detection and audits

/** The advisory lock's key, the same in every process: hashtext of a fixed name. */
export const JANITOR_LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtext('scopekeeper.janitor')) AS locked";

/**
 * `auditRetentionDays`: audit events older than this are deleted too (AUDIT_RETENTION_DAYS,
 * 400 by default: a year and a bit, so a yearly review always sees a whole year).
 */
export async function sweepExpired(db: Db | Prisma.TransactionClient, now = new Date(), auditRetentionDays = 400): Promise<number> {
  const before = new Date(now.getTime() - GRACE_MS);
  const results = await Promise.all([
    db.auditEvent.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - auditRetentionDays * 86_400_000) } } }),
    db.authorizationCode.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.deviceAuthorization.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.session.deleteMany({ where: { expiresAt: { lt: now } } }),
    db.ssoLogin.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.refreshToken.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.revokedAccessToken.deleteMany({ where: { expiresAt: { lt: now } } }),
    db.usedJti.deleteMany({ where: { expiresAt: { lt: now } } }),
    db.webAuthnChallenge.deleteMany({ where: { expiresAt: { lt: now } } }),
    db.pushedAuthorizationRequest.deleteMany({ where: { expiresAt: { lt: now } } }),
  ]);
  return results.reduce((n, r) => n + r.count, 0);
}

/**
 * One sweep, in one process at a time: on PostgreSQL inside a transaction holding the
 * janitor's advisory lock (released when it commits, or when its connection dies), and
 * `"skipped"` when another process holds it. SQLite is one process and needs no lock.
 */
export async function sweepOnce(db: Db, provider: Provider, now = new Date(), auditRetentionDays = 400): Promise<number | "skipped"> {
  if (provider === "sqlite") return sweepExpired(db, now, auditRetentionDays);
  return db.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRawUnsafe<{ locked: boolean }[]>(JANITOR_LOCK_SQL);
      if (!row?.locked) return "skipped" as const;
      return sweepExpired(tx, now, auditRetentionDays);
    },
    { timeout: 10 * 60_000, maxWait: 10_000 },
  );
}

export function startJanitor(db: Db, provider: Provider, auditRetentionDays: number, intervalMs = 10 * 60_000): () => void {
  const timer = setInterval(() => void sweepOnce(db, provider, new Date(), auditRetentionDays).catch(() => undefined), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
