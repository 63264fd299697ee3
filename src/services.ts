// The composition root: builds every long-lived service once per process, in dependency order.
import { ApplicationService } from "./applications/service.ts";
import { MemberService } from "./applications/members.ts";
import { ClientDirectory } from "./applications/client-directory.ts";
import { LastUsedRecorder } from "./applications/last-used.ts";
import { SecretVerifier } from "./applications/secret-verifier.ts";
import { IdentityProviderService } from "./applications/identity-providers.ts";
import { PublicationService } from "./applications/publication-service.ts";
import { ExternalTokenVerifier } from "./auth/external-tokens.ts";
import { loadCatalog, type Catalog } from "./catalog/index.ts";
import type { Config } from "./config/index.ts";
import { createDb, type Db, type DbOptions } from "./db/client.ts";
import type { Provider } from "./db/url.ts";
import { startJanitor } from "./db/janitor.ts";
import { SigningKeys } from "./crypto/signing-keys.ts";
import { SessionStore } from "./auth/sessions.ts";
import { PasswordLogin } from "./auth/users.ts";
import { MembershipDirectory } from "./auth/memberships.ts";

export interface Services {
  config: Config;
  db: Db;
  provider: Provider;
  catalog: Catalog;
  keys: SigningKeys;
  clients: ClientDirectory;
  secretVerifier: SecretVerifier;
  lastUsed: LastUsedRecorder;
  applications: ApplicationService;
  /** Publication requests and their decisions (src/applications/publication.ts). */
  publication: PublicationService;
  identityProviders: IdentityProviderService;
  /** Keys of organizations' identity providers, cached per JWKS URI (token exchange). */
  externalTokens: ExternalTokenVerifier;
  members: MemberService;
  /** A person's roles per organization, cached briefly for the admin API. */
  memberships: MembershipDirectory;
  sessions: SessionStore;
  passwordLogin: PasswordLogin;
  close(): Promise<void>;
}

export async function createServices(config: Config, options: { catalog?: Catalog } & DbOptions = {}): Promise<Services> {
  const { catalog, ...dbOptions } = options;
  const resolvedCatalog =
    catalog ??
    (await loadCatalog({
      issuer: config.issuer,
      pluginModules: config.pluginModules,
      audiences: config.hubAudiences,
      ...(config.pluginsDir ? { pluginsDir: config.pluginsDir } : {}),
    }));
  const { db, provider } = await createDb(config.databaseUrl, dbOptions);
  try {
    const keys = new SigningKeys({
      db,
      encryptionSecret: config.keyEncryptionSecret,
      // Retired keys stay published as long as any token they signed can still be valid.
      publishRetiredForSeconds: config.accessTokenTtlSeconds + 300,
    });
    await keys.init();
    // Rotations made by `scopekeeper keys rotate` or another server process reach this one.
    const keyRefresh = setInterval(() => void keys.reload().catch(() => undefined), 30_000);
    keyRefresh.unref();
    const stopJanitor = startJanitor(db, config.auditRetentionDays);
    const clients = new ClientDirectory(db);
    const memberships = new MembershipDirectory(db);
    const lastUsed = new LastUsedRecorder(db);
    // Plain-http identity providers on loopback exist only in development and tests.
    const allowLoopbackHttp = config.env !== "production";
    const externalTokens = new ExternalTokenVerifier({ allowLoopbackHttp });
    return {
      config,
      db,
      provider,
      catalog: resolvedCatalog,
      keys,
      clients,
      secretVerifier: new SecretVerifier(),
      lastUsed,
      applications: new ApplicationService({ db, catalog: resolvedCatalog, config, directory: clients, provider }),
      publication: new PublicationService({ db, provider, directory: clients }),
      identityProviders: new IdentityProviderService(db, { allowLoopbackHttp, onChange: (provider) => externalTokens.forget(provider) }),
      externalTokens,
      memberships,
      members: new MemberService({ db, config, onMembershipChange: (userId) => memberships.invalidate(userId) }),
      sessions: new SessionStore(db, config.sessionTtlSeconds),
      passwordLogin: new PasswordLogin(db, config.argon2),
      async close() {
        clearInterval(keyRefresh);
        stopJanitor();
        await lastUsed.close();
        await db.$disconnect();
      },
    };
  } catch (err) {
    await db.$disconnect();
    throw err;
  }
}
