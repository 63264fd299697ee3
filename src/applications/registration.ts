// Dynamic client registration (RFC 7591) and its management (RFC 7592) as use cases. Every
// change goes through ApplicationService, so a registered application passes exactly the rules
// createConnectApplication applies, with the same messages; what is added here is who may
// register (an initial access token of an organization), the registration access token that
// manages one client, and the translation to and from client metadata.
import { randomBytes } from "node:crypto";
import type { Catalog } from "../catalog/index.ts";
import type { Config } from "../config/index.ts";
import type { Db, Prisma } from "../db/client.ts";
import { constantTimeEqual, sha256 } from "../crypto/random.ts";
import { argon2Hash, argon2Verify, formatSecret, parseSecretId, secretHint } from "../crypto/secrets.ts";
import { MANAGE_SCOPE, READ_SCOPE, type Principal, type Role } from "../access/principal.ts";
import { publicId } from "../ids.ts";
import type { ApplicationService } from "./service.ts";
import { audit } from "../audit/record.ts";
import type { RegistrationTokenService } from "./registration-tokens.ts";
import { ValidationError } from "../errors.ts";
import { parseClientMetadata, registrationErrorCode, metadataField, type ExtraMetadata } from "./client-metadata.ts";
import { defaultGrantKind, isConfidential, validateGrant, type ApplicationType, type FieldError, type Platform } from "./rules.ts";

type Tx = Prisma.TransactionClient;

/** No usable initial or registration access token: RFC 6750 invalid_token, and nothing more. */
export class RegistrationUnauthorized extends Error {
  constructor() {
    super("a valid access token is required");
  }
}

/** RFC 7591 §3.2.2: the metadata broke a rule; `fieldErrors` name the metadata and the domain rule. */
export class ClientMetadataRefused extends Error {
  readonly error: "invalid_redirect_uri" | "invalid_client_metadata";
  readonly fieldErrors: { field: string; code: string; message: string }[];
  constructor(errors: readonly FieldError[]) {
    const fieldErrors = errors.map((e) => ({ field: metadataField(e.path), code: e.code, message: e.message }));
    super(fieldErrors.map((e) => `${e.field}: ${e.message}`).join("; "));
    this.error = registrationErrorCode(errors);
    this.fieldErrors = fieldErrors;
  }
}

/** A management request that contradicts itself (RFC 7592 §2.2: client_id must match). */
export class RegistrationRequestRefused extends Error {}

/** The admin API's own scopes make a client an administrator: only an ADMIN grants them. */
const NOT_REGISTRABLE_SCOPES = new Set([READ_SCOPE, MANAGE_SCOPE]);
const ACCESS_TOKEN_PREFIX = "skm_";

type RegisteredApp = Prisma.ConnectApplicationGetPayload<{ include: { redirectUris: true; scopeGrants: true; registration: true } }>;

export class RegistrationService {
  #db: Db;
  #applications: ApplicationService;
  #tokens: RegistrationTokenService;
  #catalog: Catalog;
  #config: Config;

  constructor(deps: { db: Db; applications: ApplicationService; tokens: RegistrationTokenService; catalog: Catalog; config: Config }) {
    this.#db = deps.db;
    this.#applications = deps.applications;
    this.#tokens = deps.tokens;
    this.#catalog = deps.catalog;
    this.#config = deps.config;
  }

  /** RFC 7591 §3: POST /oauth/register with an initial access token. */
  async register(initialAccessToken: string | null, body: unknown): Promise<Record<string, unknown>> {
    const token = initialAccessToken ? await this.#tokens.find(initialAccessToken) : null;
    if (!token) throw new RegistrationUnauthorized();
    const metadata = parseClientMetadata(metadataObject(body));
    if (metadata.errors.length > 0) throw new ClientMetadataRefused(metadata.errors);
    this.#refuseAdminScopes(metadata.scopes);
    // The use first: concurrent registrations on a spent token are refused before any hashing.
    if (!(await this.#tokens.consume(this.#db, token.id))) throw new RegistrationUnauthorized();
    try {
      return await this.#registerWithUse(token, metadata);
    } catch (error) {
      await this.#tokens.release(token.id).catch(() => undefined);
      throw error;
    }
  }

  async #registerWithUse(
    token: NonNullable<Awaited<ReturnType<RegistrationTokenService["find"]>>>,
    metadata: ReturnType<typeof parseClientMetadata>,
  ): Promise<Record<string, unknown>> {
    // A private_key_jwt client proves itself with its key: it gets no secret.
    const confidential = isConfidential(metadata.input.applicationType, metadata.input.platform) && metadata.input.tokenEndpointAuthMethod !== "PRIVATE_KEY_JWT";
    // Hashing is slow: done before the transaction, as addClientSecret does.
    const secretId = randomBytes(12).toString("hex");
    const secret = confidential ? formatSecret(secretId) : null;
    const secretHash = secret ? await argon2Hash(secret, this.#config.argon2) : null;
    const accessToken = newAccessToken();
    const principal = registrant(token.organizationId, this.#tokens.publicId(token.id));

    const app = await this.#withDomainErrors(() =>
      this.#applications.create(
        principal,
        { ...metadata.input, organizationId: token.organizationId, ...(metadata.scopes ? { scopes: metadata.scopes } : {}) },
        {
          registeredDynamically: true,
          auditAction: "application.registered",
          inTransaction: async (tx, created) => {
            if (secret && secretHash) {
              await tx.clientSecret.create({
                data: { id: secretId, applicationId: created.id, description: "Issued at dynamic registration", hash: secretHash, hint: secretHint(secret) },
              });
              await audit(tx, principal, token.organizationId, "client_secret.created", secretId, {
                applicationId: publicId("ConnectApplication", created.id),
                hint: secretHint(secret),
                expiresAt: null,
              });
            }
            await tx.clientRegistration.create({
              data: { applicationId: created.id, accessTokenHash: sha256(accessToken), registrationTokenId: token.id, metadata: JSON.stringify(metadata.extra) },
            });
          },
        },
      ),
    );
    const stored = await this.#load(app.id);
    return {
      ...this.#information(stored, accessToken),
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    };
  }

  /** RFC 7592 §2.1: the client's registration as stored. */
  async read(clientId: string, accessToken: string | null): Promise<Record<string, unknown>> {
    const app = await this.#authenticate(clientId, accessToken);
    return this.#information(app, accessToken!);
  }

  /**
   * RFC 7592 §2.2: a full replacement of the registrable metadata (omitted fields fall back to
   * their defaults; `scope` omitted keeps the grants). The registration access token is
   * replaced in the same transaction, conditionally on the old one: of concurrent updates
   * with one token, exactly one succeeds and the others find the token gone.
   */
  async update(clientId: string, accessToken: string | null, body: unknown): Promise<Record<string, unknown>> {
    const app = await this.#authenticate(clientId, accessToken);
    const object = metadataObject(body);
    if (object.client_id !== clientId) throw new RegistrationRequestRefused("client_id in the body must be the client_id of the registration being updated");
    if (object.client_secret !== undefined && !(await this.#isCurrentSecret(app.id, object.client_secret))) {
      throw new RegistrationRequestRefused("client_secret, when sent, must be a current secret of this client");
    }
    const metadata = parseClientMetadata(object);
    if (metadata.errors.length > 0) throw new ClientMetadataRefused(metadata.errors);
    this.#refuseAdminScopes(metadata.scopes);
    const kind = defaultGrantKind(app.applicationType as ApplicationType);
    const scopes = metadata.scopes;
    if (scopes && scopes.length > 0) {
      const target = { applicationType: app.applicationType as ApplicationType, platform: app.platform as Platform | null, onBehalfOfEnabled: app.onBehalfOfEnabled };
      const errors = validateGrant(target, scopes, kind, this.#catalog);
      if (errors.length > 0) throw new ClientMetadataRefused(errors);
    }

    const next = newAccessToken();
    const principal = registrant(app.organizationId!, app.clientId);
    await this.#withDomainErrors(() =>
      this.#applications.update(principal, app.id, metadata.input, {
        auditAction: "application.registration_updated",
        inTransaction: async (tx) => {
          const { count } = await tx.clientRegistration.updateMany({
            where: { applicationId: app.id, accessTokenHash: sha256(accessToken!) },
            data: { accessTokenHash: sha256(next), metadata: JSON.stringify(metadata.extra) },
          });
          if (count !== 1) throw new RegistrationUnauthorized();
          if (scopes) await replaceGrants(tx, principal, app, scopes, kind);
        },
      }),
    );
    return this.#information(await this.#load(app.id), next);
  }

  /** RFC 7592 §2.3: the application is deleted with everything it holds. */
  async remove(clientId: string, accessToken: string | null): Promise<void> {
    const app = await this.#authenticate(clientId, accessToken);
    await this.#applications.delete(registrant(app.organizationId!, app.clientId), app.id, {
      auditAction: "application.registration_deleted",
      inTransaction: async (tx) => {
        // The token may have been rotated since it was checked: it must still be the current one.
        const current = await tx.clientRegistration.count({ where: { applicationId: app.id, accessTokenHash: sha256(accessToken!) } });
        if (current !== 1) throw new RegistrationUnauthorized();
      },
    });
  }

  /** Unknown client, wrong token and another client's token look the same (RFC 7592 §2). */
  async #authenticate(clientId: string, accessToken: string | null): Promise<RegisteredApp> {
    if (!accessToken || !accessToken.startsWith(ACCESS_TOKEN_PREFIX)) throw new RegistrationUnauthorized();
    const registration = await this.#db.clientRegistration.findUnique({
      where: { accessTokenHash: sha256(accessToken) },
      include: { application: { include: { redirectUris: true, scopeGrants: true, registration: true } } },
    });
    if (!registration || !constantTimeEqual(registration.application.clientId, clientId)) throw new RegistrationUnauthorized();
    return registration.application;
  }

  async #isCurrentSecret(applicationId: string, presented: unknown): Promise<boolean> {
    if (typeof presented !== "string") return false;
    const id = parseSecretId(presented);
    const row = id ? await this.#db.clientSecret.findFirst({ where: { id, applicationId, revokedAt: null } }) : null;
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return false;
    return argon2Verify(row.hash, presented);
  }

  #refuseAdminScopes(scopes: string[] | undefined): void {
    const refused = (scopes ?? []).filter((s) => NOT_REGISTRABLE_SCOPES.has(s));
    if (refused.length > 0) {
      throw new ClientMetadataRefused([
        { path: ["scopes"], code: "scope_not_registrable", message: `${refused.join(", ")} can only be granted by an ADMIN (grantScopes), not through dynamic registration` },
      ]);
    }
  }

  async #withDomainErrors<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof ValidationError) throw new ClientMetadataRefused(error.fieldErrors);
      throw error;
    }
  }

  #load(id: string): Promise<RegisteredApp> {
    return this.#db.connectApplication.findUniqueOrThrow({ where: { id }, include: { redirectUris: true, scopeGrants: true, registration: true } });
  }

  /** RFC 7591 §3.2.1 / RFC 7592 §3: the client information response, metadata as stored. */
  #information(app: RegisteredApp, accessToken: string): Record<string, unknown> {
    const extra = JSON.parse(app.registration?.metadata ?? "{}") as Partial<ExtraMetadata>;
    const m2m = app.applicationType === "M2M";
    const uris = (kind: string) => app.redirectUris.filter((r) => r.kind === kind).sort((a, b) => a.position - b.position).map((r) => r.uri);
    const kind = defaultGrantKind(app.applicationType as ApplicationType);
    const scopes = app.scopeGrants.filter((g) => g.kind === kind).map((g) => g.scope).sort();
    const body: Record<string, unknown> = {
      client_id: app.clientId,
      client_id_issued_at: Math.floor(app.createdAt.getTime() / 1000),
      registration_access_token: accessToken,
      registration_client_uri: `${this.#config.issuer}/oauth/register/${encodeURIComponent(app.clientId)}`,
      client_name: app.name,
      grant_types: m2m ? ["client_credentials"] : (extra.grant_types ?? ["authorization_code"]),
      response_types: m2m ? [] : ["code"],
      token_endpoint_auth_method: extra.token_endpoint_auth_method ?? (isConfidential(app.applicationType as ApplicationType, app.platform as Platform | null) ? "client_secret_basic" : "none"),
      application_type: extra.application_type ?? (app.platform === "NATIVE" ? "native" : "web"),
      redirect_uris: uris("REDIRECT"),
      post_logout_redirect_uris: uris("POST_LOGOUT"),
      logo_uri: app.logoUri ?? undefined,
      tos_uri: app.termsOfServiceUri ?? undefined,
      policy_uri: app.privacyPolicyUri ?? undefined,
      client_uri: extra.client_uri,
      contacts: extra.contacts,
      jwks: app.jwks ? (JSON.parse(app.jwks) as unknown) : undefined,
      jwks_uri: app.jwksUri ?? undefined,
      require_pushed_authorization_requests: app.requirePushedAuthorizationRequests || undefined,
      scope: scopes.length > 0 ? scopes.join(" ") : undefined,
    };
    return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
  }
}

/** The body must be one JSON object of metadata. */
function metadataObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ClientMetadataRefused([{ path: ["body"], code: "client_metadata_not_object", message: "must be a JSON object of client metadata" }]);
  }
  return body as Record<string, unknown>;
}

function newAccessToken(): string {
  return `${ACCESS_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/**
 * Who acts in a registration: the initial access token (registering) or the client itself
 * (managing its registration), as an administrator of that one organization's registry.
 */
function registrant(organizationId: string, subject: string): Principal {
  return {
    kind: "APPLICATION",
    subject,
    userId: null,
    clientId: subject,
    organizationId,
    scopes: new Set([MANAGE_SCOPE]),
    roles: new Map<string, Role>([[organizationId, "ADMIN"]]),
    isOperator: false,
  };
}

/** `scope` on update replaces the grants of the application's default kind. */
async function replaceGrants(tx: Tx, principal: Principal, app: RegisteredApp, scopes: string[], kind: string): Promise<void> {
  const current = new Set(app.scopeGrants.filter((g) => g.kind === kind).map((g) => g.scope));
  const wanted = new Set(scopes);
  const removed = [...current].filter((s) => !wanted.has(s));
  const added = [...wanted].filter((s) => !current.has(s));
  if (removed.length > 0) {
    await tx.scopeGrant.deleteMany({ where: { applicationId: app.id, kind, scope: { in: removed } } });
    await audit(tx, principal, app.organizationId, "scopes.revoked", app.id, { scopes: removed, kinds: [kind] });
  }
  if (added.length > 0) {
    await tx.scopeGrant.createMany({ data: added.map((scope) => ({ applicationId: app.id, scope, kind, grantedBy: principal.subject })) });
    await audit(tx, principal, app.organizationId, "scopes.granted", app.id, { scopes: added, kind });
  }
}
