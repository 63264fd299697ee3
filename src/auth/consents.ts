// What each user approved for each application. Token revocation never touches consents.
import { audit } from "../audit/record.ts";
import type { Db } from "../db/client.ts";
import { publicId } from "../ids.ts";

export async function consentedScopes(db: Db, userId: string, applicationId: string): Promise<Set<string>> {
  const row = await db.consent.findUnique({ where: { userId_applicationId: { userId, applicationId } } });
  return new Set(row ? row.scopes.split(" ").filter(Boolean) : []);
}

/** Adds scopes to a user's consent for an app; earlier approvals are kept. A new grant is an audit event. */
export async function rememberConsent(db: Db, userId: string, applicationId: string, scopes: readonly string[]): Promise<void> {
  const previous = await consentedScopes(db, userId, applicationId);
  const added = scopes.filter((s) => !previous.has(s));
  if (added.length === 0) return;
  const merged = [...new Set([...previous, ...scopes])].sort().join(" ");
  await db.$transaction(async (tx) => {
    const app = await tx.connectApplication.findUniqueOrThrow({ where: { id: applicationId }, select: { organizationId: true } });
    await tx.consent.upsert({
      where: { userId_applicationId: { userId, applicationId } },
      create: { userId, applicationId, scopes: merged },
      update: { scopes: merged },
    });
    await audit(tx, { kind: "USER", subject: publicId("User", userId) }, app.organizationId, "consent.granted", applicationId, { scopes: added });
  });
}
