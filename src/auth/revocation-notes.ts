// Revocation of what issuance produced: access tokens by jti (RFC 7009), refresh tokens by
// family together with every access token issued alongside them (RFC 9700 §4.14).
import type { Prisma } from "../db/client.ts";

type Tx = Prisma.TransactionClient;

/** This process's view of revocations (src/auth/revocations.ts), told before the commit. */
export interface RevocationNotes {
  noteRevoked(jti: string, expiresAt: Date): void;
  /** Tells every other process (the change feed), when `tx` commits. */
  announceRevoked(tx: Pick<Tx, "$executeRawUnsafe">, jti: string): Promise<void>;
}

/** Revokes every refresh token of a family and the access tokens issued with them. */
export async function revokeFamily(tx: Tx, notes: RevocationNotes, familyId: string): Promise<void> {
  const now = new Date();
  const tokens = await tx.refreshToken.findMany({ where: { familyId }, select: { accessTokenId: true, accessExpiresAt: true } });
  await tx.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } });
  for (const t of tokens) await revokeAccessTokenId(tx, notes, t.accessTokenId, t.accessExpiresAt);
}

/** An access token past its expiry is dead already; recording it would only grow the table. */
export async function revokeAccessTokenId(tx: Tx, notes: RevocationNotes, jti: string, expiresAt: Date): Promise<void> {
  if (expiresAt.getTime() <= Date.now()) return;
  // Refused here from now on, even while the transaction is still open: refusing a token whose
  // revocation then rolls back is the safe side of that race.
  notes.noteRevoked(jti, expiresAt);
  await tx.revokedAccessToken.upsert({ where: { jti }, create: { jti, expiresAt }, update: {} });
  await notes.announceRevoked(tx, jti);
}

/** Revokes the live refresh tokens `where` selects and the access tokens issued with them; returns how many. */
export async function revokeRefreshTokensWhere(tx: Tx, notes: RevocationNotes, where: Prisma.RefreshTokenWhereInput): Promise<number> {
  const live = await tx.refreshToken.findMany({ where: { ...where, revokedAt: null }, select: { id: true, accessTokenId: true, accessExpiresAt: true } });
  if (live.length === 0) return 0;
  await tx.refreshToken.updateMany({ where: { id: { in: live.map((t) => t.id) } }, data: { revokedAt: new Date() } });
  for (const t of live) await revokeAccessTokenId(tx, notes, t.accessTokenId, t.accessExpiresAt);
  return live.length;
}
