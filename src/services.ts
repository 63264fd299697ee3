// The composition root: builds every long-lived service once per process, in dependency order.
import { ApplicationService } from "./applications/service.ts";
import { MemberService } from "./applications/members.ts";
import { ClientDirectory } from "./applications/client-directory.ts";
import { LastUsedRecorder } from "./applications/last-used.ts";
import { SecretVerifier } from "./applications/secret-verifier.ts";
import { IdentityProviderService } from "./applications/identity-providers.ts";
import { RegistrationTokenService } from "./applications/registration-tokens.ts";
import { RegistrationService } from "./applications/registration.ts";
import { IdentityProviderDirectory } from "./applications/identity-provider-directory.ts";
import { PublicationService } from "./applications/publication-service.ts";
import { ExternalTokenVerifier } from "./auth/external-tokens.ts";
import { loadCatalog, type Catalog } from "./catalog/index.ts";
import type { Config } from "./config/index.ts";
import { createDb, type Db, type DbOptions, type PoolStats } from "./db/client.ts";
import type { Provider } from "./db/url.ts";
import { startJanitor } from "./db/janitor.ts";
import { SigningKeys } from "./crypto/signing-keys.ts";
import { SessionStore } from "./auth/sessions.ts";
import { PasswordLogin } from "./auth/users.ts";
import { MembershipDirectory } from "./access/memberships.ts";
import { createThrottles, type Throttles } from "./throttles/throttles.ts";
import { RevocationList } from "./auth/revocations.ts";
import { VerifiedJwtCache } from "./auth/verified-jwts.ts";
import { ClientKeySets } from "./oauth/client-keys.ts";
import { DpopProofs } from "./auth/dpop.ts";
import { openReplayStore, type ReplayStore } from "./auth/replay-store.ts";
import { Mailer } from "./mail/mailer.ts";
import { SsoSignIn } from "./auth/sso.ts";
import { SecondFactors } from "./auth/second-factors.ts";
import { Passkeys } from "./auth/passkeys.ts";
import { CHANGE_KINDS, openChangeFeed, type ChangeFeed } from "./changes/feed.ts";
import { forgetOperatorOrganizations } from "./access/operator-organizations.ts";
import { registryChanges } from "./audit/changes.ts";

export interface Services {
  config: Config;
  db: Db;
  provider: Provider;
  /** Changes announced to every process's caches (src/changes/feed.ts). */
  changes: ChangeFeed;
  /** The PostgreSQL connection pool (null on SQLite), watched by the metrics. */
  dbPool: PoolStats | null;
  catalog: Catalog;
  keys: SigningKeys;
  clients: ClientDirectory;
  secretVerifier: SecretVerifier;
  lastUsed: LastUsedRecorder;
  applications: ApplicationService;
  /** Initial access tokens for dynamic registration (RFC 7591 §3). */
  registrationTokens: RegistrationTokenService;
  /** Dynamic client registration and its management (RFC 7591, RFC 7592). */
  registration: RegistrationService;
  /** Publication requests and their decisions (src/applications/publication.ts). */
  publication: PublicationService;
  identityProviders: IdentityProviderService;
  /** Keys of organizations' identity providers, cached per JWKS URI (token exchange). */
  externalTokens: ExternalTokenVerifier;
  /** Each organization's identity providers, cached briefly for token exchange. */
  identityProviderDirectory: IdentityProviderDirectory;
  members: MemberService;
  /** A person's roles per organization, cached briefly for the admin API. */
  memberships: MembershipDirectory;
  /** Revoked access tokens: announced through the change feed; 1 s when a notice is missed. */
  revocations: RevocationList;
  /** This server's access tokens whose signature verified (src/auth/verified-jwts.ts). */
  verifiedAccessTokens: VerifiedJwtCache;
  sessions: SessionStore;
  passwordLogin: PasswordLogin;
  /** Authenticator apps, recovery codes, and whether a person must use a second factor. */
  secondFactors: SecondFactors;
  /** Passkeys (WebAuthn): adding them, and signing in with them. */
  passkeys: Passkeys;
  /** Failed client authentications and sign-ins, counted where every process sees them. */
  throttles: Throttles;
  /** One-time values (private_key_jwt and DPoP `jti`) seen by any process (src/oauth/replay-store.ts). */
  replays: ReplayStore;
  /** Applications' private_key_jwt keys: registered jwks, or fetched from their jwksUri. */
  clientKeys: ClientKeySets;
  /** DPoP proofs (RFC 9449) and the server's rotating nonces. */
  dpop: DpopProofs;
  /** Sign-in through organizations' identity providers (OpenID Connect). */
  sso: SsoSignIn;
  /** Sends mail when SMTP_URL is set; otherwise `enabled` is false and nothing is sent. */
  mailer: Mailer;
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
  const { db, provider, pool } = await createDb(config.databaseUrl, dbOptions);
  let changes: ChangeFeed | null = null;
  try {
    changes = await openChangeFeed({ provider, enabled: config.changeFeed, db, databaseUrl: config.databaseUrl });
    const keys = new SigningKeys({
      db,
      encryptionSecret: config.keyEncryptionSecret,
      // Retired keys stay published as long as any token they signed can still be valid.
      publishRetiredForSeconds: config.accessTokenTtlSeconds + 300,
      changes,
    });
    await keys.init();
    // Rotations reach every process through the change feed; this reload is the fallback for
    // a notice that was missed (and publishes the end of retired keys' windows).
    const keyRefresh = setInterval(() => void keys.reload().catch(() => undefined), 30_000);
    keyRefresh.unref();
    const stopJanitor = startJanitor(db, provider, config.auditRetentionDays);
    const clients = new ClientDirectory(db);
    const memberships = new MembershipDirectory(db);
    const revocations = new RevocationList(db, changes);
    const lastUsed = new LastUsedRecorder(db);
    // Plain-http identity providers on loopback exist only in development and tests.
    const allowLoopbackHttp = config.env !== "production";
    const externalTokens = new ExternalTokenVerifier({ allowLoopbackHttp });
    const throttles = await createThrottles(config, db, provider);
    const replays = await openReplayStore(config, db);
    const applications = new ApplicationService({ db, catalog: resolvedCatalog, config, changes, provider });
    const registrationTokens = new RegistrationTokenService(db);
    const identityProviderDirectory = new IdentityProviderDirectory(db);
    const mailer = new Mailer(config);
    const secondFactors = new SecondFactors({ db, config, throttle: throttles.signIn, mailer });
    const feed = changes;
    const sso = new SsoSignIn({ db, config, externalTokens, allowLoopbackHttp, onJoin: (userId) => feed.announce("membership", userId) });
    // What each announced change drops, in this process and (through the feed) in every other.
    feed.on("revocation", (jti) => revocations.forget(jti));
    feed.on("application", (clientId) => clients.invalidate(clientId));
    feed.on("membership", (userId) => memberships.invalidate(userId));
    feed.on("identity-provider", (organizationId) => {
      identityProviderDirectory.forget(organizationId);
      externalTokens.forgetAll();
      sso.forgetAll();
    });
    feed.on("signing-key", (kid) => void keys.learnOf(kid).catch(() => undefined));
    // The admin API's response cache is keyed by the count of changes: any change ends its answers.
    for (const kind of CHANGE_KINDS) feed.on(kind, () => registryChanges.record());
    // Notices may have been missed while the listening connection was down: empty every cache.
    feed.onReset(() => {
      revocations.clear();
      clients.clear();
      memberships.clear();
      identityProviderDirectory.clear();
      externalTokens.forgetAll();
      sso.forgetAll();
      forgetOperatorOrganizations();
      registryChanges.record();
      void keys.reload().catch(() => undefined);
    });
    return {
      config,
      db,
      provider,
      changes: feed,
      dbPool: pool ?? null,
      catalog: resolvedCatalog,
      keys,
      clients,
      secretVerifier: new SecretVerifier(),
      lastUsed,
      applications,
      publication: new PublicationService({ db, provider, changes: feed, revocations }),
      registrationTokens,
      registration: new RegistrationService({ db, applications, tokens: registrationTokens, catalog: resolvedCatalog, config }),
      identityProviders: new IdentityProviderService(db, {
        allowLoopbackHttp,
        secretKey: config.keyEncryptionSecret,
        onChange: (provider) => feed.announce("identity-provider", provider.organizationId),
      }),
      externalTokens,
      identityProviderDirectory,
      memberships,
      revocations,
      // Retired keys stay published for the token lifetime + 300 s: an entry never outlives its key.
      verifiedAccessTokens: new VerifiedJwtCache({ maxAgeMs: 300_000 }),
      members: new MemberService({
        db,
        config,
        revocations,
        mailer,
        memberships,
        adminConsentScopes: new Set(resolvedCatalog.scopes.filter((s) => s.adminConsentRequired).map((s) => s.name)),
        onMembershipChange: (userId) => feed.announce("membership", userId),
      }),
      sessions: new SessionStore(db, config.sessionTtlSeconds, revocations),
      secondFactors,
      passkeys: new Passkeys({ db, config, factors: secondFactors }),
      passwordLogin: new PasswordLogin(db, config.argon2, throttles.signIn),
      throttles,
      replays,
      clientKeys: new ClientKeySets({ allowLoopbackHttp }),
      // Nonces verify in every process that shares the secret (or, without one, the database).
      dpop: new DpopProofs({ secret: config.keyEncryptionSecret ?? config.databaseUrl, replays }),
      mailer,
      sso,
      async close() {
        clearInterval(keyRefresh);
        stopJanitor();
        await mailer.close();
        await lastUsed.close();
        await throttles.close();
        await replays.close();
        await feed.close();
        await db.$disconnect();
      },
    };
  } catch (err) {
    await changes?.close();
    await db.$disconnect();
    throw err;
  }
}
