// Revocation of what issuance produced: access tokens by jti (RFC 7009), refresh tokens by
// family together with every access token issued alongside them (RFC 9700 §4.14).
import type { Prisma } from "../../db/client.ts";

type Tx = Prisma.TransactionClient;

/** Revokes every refresh token of a family and the access tokens issued with them. */
export async function revokeFamily(tx: Tx, familyId: string): Promise<void> {
  const now = new Date();
  const tokens = await tx.refreshToken.findMany({ where: { familyId }, select: { accessTokenId: true, accessExpiresAt: true } });
  await tx.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } });
  for (const t of tokens) await revokeAccessTokenId(tx, t.accessTokenId, t.accessExpiresAt);
}

/** An access token past its expiry is dead already; recording it would only grow the table. */
export async function revokeAccessTokenId(tx: Tx, jti: string, expiresAt: Date): Promise<void> {
  if (expiresAt.getTime() <= Date.now()) return;
  await tx.revokedAccessToken.upsert({ where: { jti }, create: { jti, expiresAt }, update: {} });
}
