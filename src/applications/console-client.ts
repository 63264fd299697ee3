// The console (/console) is an ordinary OAuth client of this server: the first-party public SPA
// `scopekeeper-console`. It is written here directly rather than through ApplicationService
// because it is the server's own fixture: its redirect URI follows ISSUER (which may be plain
// http on a developer's machine, where the https rule for SPAs would refuse it), and it must be
// made right again at every start, whatever an operator changed by hand.
import type { Db } from "../db/client.ts";
import { CONSOLE_CLIENT_ID } from "../ids.ts";

export { CONSOLE_CLIENT_ID };
export const CONSOLE_SCOPES = ["openid", "offline_access", "connect.applications.read", "connect.applications.manage"] as const;

export function consoleRedirectUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, "")}/console/callback`;
}

/** Creates the console client, or puts its settings, redirect URI and grants back in place. */
export async function ensureConsoleClient(db: Db, issuer: string): Promise<void> {
  const columns = {
    name: "Scopekeeper console",
    description: "The administration console shipped with this server.",
    applicationType: "OAUTH",
    platform: "SPA",
    usesPkce: true,
    isFirstParty: true,
    organizationId: null,
    onBehalfOfEnabled: false,
    tokenExchangeEnabled: false,
  };
  const redirectUri = consoleRedirectUri(issuer);
  const postLogout = `${issuer.replace(/\/+$/, "")}/console/`;
  await db.$transaction(async (tx) => {
    const app = await tx.connectApplication.upsert({
      where: { clientId: CONSOLE_CLIENT_ID },
      create: { clientId: CONSOLE_CLIENT_ID, ...columns },
      update: columns,
    });
    const uris = await tx.redirectUri.findMany({ where: { applicationId: app.id }, orderBy: { position: "asc" } });
    const right =
      uris.length === 2 &&
      uris.some((u) => u.kind === "REDIRECT" && u.uri === redirectUri && u.isDefault) &&
      uris.some((u) => u.kind === "POST_LOGOUT" && u.uri === postLogout);
    if (!right) {
      await tx.redirectUri.deleteMany({ where: { applicationId: app.id } });
      await tx.redirectUri.createMany({
        data: [
          { applicationId: app.id, uri: redirectUri, isDefault: true, kind: "REDIRECT", position: 0 },
          { applicationId: app.id, uri: postLogout, isDefault: false, kind: "POST_LOGOUT", position: 0 },
        ],
      });
    }
    const grants = await tx.scopeGrant.findMany({ where: { applicationId: app.id } });
    const extra = grants.filter((g) => g.kind !== "DELEGATED" || !(CONSOLE_SCOPES as readonly string[]).includes(g.scope));
    if (extra.length > 0) await tx.scopeGrant.deleteMany({ where: { id: { in: extra.map((g) => g.id) } } });
    const have = new Set(grants.filter((g) => g.kind === "DELEGATED").map((g) => g.scope));
    const missing = CONSOLE_SCOPES.filter((s) => !have.has(s));
    if (missing.length > 0) {
      await tx.scopeGrant.createMany({ data: missing.map((scope) => ({ applicationId: app.id, scope, kind: "DELEGATED", grantedBy: null })) });
    }
  });
}
