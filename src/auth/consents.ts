// What each user approved for each application. Token revocation never touches consents.
import type { Db } from "../db/client.ts";

export async function consentedScopes(db: Db, userId: string, applicationId: string): Promise<Set<string>> {
  const row = await db.consent.findUnique({ where: { userId_applicationId: { userId, applicationId } } });
  return new Set(row ? row.scopes.split(" ").filter(Boolean) : []);
}

/** Adds scopes to a user's consent for an app; earlier approvals are kept. */
export async function rememberConsent(db: Db, userId: string, applicationId: string, scopes: readonly string[]): Promise<void> {
  const previous = await consentedScopes(db, userId, applicationId);
  const merged = [...new Set([...previous, ...scopes])].sort().join(" ");
  await db.consent.upsert({
    where: { userId_applicationId: { userId, applicationId } },
    create: { userId, applicationId, scopes: merged },
    update: { scopes: merged },
  });
}
