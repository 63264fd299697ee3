// Use cases on connect applications: every change is limited to what the principal may see,
// validated by rules.ts, written together with its AuditEvent in one transaction, and
// invalidates the token endpoint's in-memory view of the application. Whether the token's
// scopes allow a change at all is declared by the caller (GraphQL: authScopes
// { manageRegistry }, see src/graphql/builder.ts).
import { randomBytes } from "node:crypto";
import type { Catalog, PermissionKind } from "../catalog/index.ts";
import type { Config } from "../config/index.ts";
import type { Db, Prisma } from "../db/client.ts";
import type { Provider } from "../db/url.ts";
import { formatSecret, argon2Hash, secretHint } from "../crypto/secrets.ts";
import { randomId } from "../crypto/random.ts";
import { publicId } from "../ids.ts";
import type { Principal } from "../access/principal.ts";
import { administers, connectGrantProblems, mayMarkFirstParty, maySeeApplication } from "../access/policy.ts";
import type { ChangeFeed } from "../changes/feed.ts";
import { assertValid, NotFoundError, ValidationError } from "../errors.ts";
import { COLUMN_FIELDS, type ColumnValues } from "./fields.ts";
import { audit } from "../audit/record.ts";
import { lockApplication } from "./locks.ts";
import { reviewCriticalChange } from "./publication-service.ts";
import {
  defaultGrantKind,
  isConfidential,
  LIMITS,
  PERMISSION_KINDS,
  shapeFromInput,
  validateApplication,
  validateGrant,
  validateSecretInput,
  type ApplicationInput,
  type ApplicationShape,
  type ApplicationType,
  type FieldError,
  type Platform,
} from "./rules.ts";

type Tx = Prisma.TransactionClient;

/**
 * How another door (dynamic registration) joins a write: its own audit action, and work that
 * must commit or fail with the change (consuming an initial access token, rotating a
 * registration access token), run inside the same transaction after the row is locked.
 */
export interface WriteOptions {
  auditAction?: string;
  registeredDynamically?: boolean;
  inTransaction?: (tx: Tx, app: { id: string; clientId: string; organizationId: string | null }) => Promise<void>;
}
type ApplicationRow = Prisma.ConnectApplicationGetPayload<{ include: { redirectUris: true } }>;

export class ApplicationService {
  #db: Db;
  #catalog: Catalog;
  #config: Config;
  /** Announces every change to an application (the client directories of every process drop it). */
  #changes: Pick<ChangeFeed, "announce">;

  #provider: Provider;

  constructor(deps: { db: Db; catalog: Catalog; config: Config; changes: Pick<ChangeFeed, "announce">; provider: Provider }) {
    this.#db = deps.db;
    this.#provider = deps.provider;
    this.#catalog = deps.catalog;
    this.#config = deps.config;
    this.#changes = deps.changes;
  }

  /** An application the principal may see, or NotFoundError exactly as if it did not exist. */
  async findVisible(principal: Principal, id: string, tx: Tx | Db = this.#db): Promise<ApplicationRow> {
    return visibleOrAbsent(principal, await tx.connectApplication.findUnique({ where: { id }, include: { redirectUris: true } }));
  }

  async create(principal: Principal, input: ApplicationInput, options: WriteOptions = {}) {
    const shape = shapeFromInput(input);
    const errors = validateApplication(input, shape, true);
    errors.push(...(await this.#organizationErrors(principal, shape)), ...this.#firstPartyErrors(principal, shape));
    const kind = defaultGrantKind(shape.applicationType);
    const scopes = [...new Set(input.scopes ?? [])];
    if (scopes.length > 0 && errors.length === 0) errors.push(...validateGrant(shape, scopes, kind, this.#catalog), ...connectGrantProblems(shape, scopes, kind));
    assertValid(errors);

    const app = await this.#uniqueOrValidationError(shape, null, () => this.#db.$transaction(async (tx) => {
      await this.#assertUnique(tx, shape, null);
      // One INSERT ... RETURNING and one createMany per relation: a nested create would read
      // the row back in a fourth statement.
      const created = await tx.connectApplication.create({
        data: {
          ...this.#columns(shape),
          clientId: randomId(),
          applicationType: shape.applicationType,
          organizationId: shape.organizationId,
          registeredDynamically: options.registeredDynamically ?? false,
        },
      });
      const uris = this.#uriRows(shape);
      if (uris.length > 0) await tx.redirectUri.createMany({ data: uris.map((r) => ({ ...r, applicationId: created.id })) });
      if (scopes.length > 0) {
        await tx.scopeGrant.createMany({ data: scopes.map((scope) => ({ applicationId: created.id, scope, kind, grantedBy: principal.subject })) });
      }
      await options.inTransaction?.(tx, created);
      await audit(tx, principal, created.organizationId, options.auditAction ?? "application.created", created.id, {
        name: created.name,
        clientId: created.clientId,
        applicationType: created.applicationType,
        scopes,
      });
      return created;
    }));
    // Nothing caches an application before it exists; the admin API's answers in every process do list it.
    await this.#changes.announce("application", app.clientId);
    return app;
  }

  async update(principal: Principal, id: string, input: ApplicationInput, options: WriteOptions = {}) {
    const existing = await this.findVisible(principal, id);
    const base = this.#shapeOf(existing);
    // Type, platform and organization are fixed at creation: changing them would change
    // which credentials and grants are valid.
    const errors: FieldError[] = [];
    if (input.applicationType != null && input.applicationType !== existing.applicationType) {
      errors.push({ path: ["applicationType"], code: "fixed_after_creation", message: "cannot be changed after creation" });
    }
    if (input.platform != null && input.platform !== existing.platform) {
      errors.push({ path: ["platform"], code: "fixed_after_creation", message: "cannot be changed after creation" });
    }
    if (input.organizationId != null && input.organizationId !== existing.organizationId) {
      errors.push({ path: ["organizationId"], code: "fixed_after_creation", message: "cannot be changed after creation" });
    }
    const fixed = { ...input, applicationType: undefined, platform: undefined, organizationId: undefined };
    const shape = shapeFromInput(fixed, base);
    errors.push(...validateApplication(fixed, shape, false));
    if (shape.isFirstParty !== base.isFirstParty) errors.push(...this.#firstPartyErrors(principal, shape));
    if (base.onBehalfOfEnabled && !shape.onBehalfOfEnabled) {
      const obo = await this.#db.scopeGrant.findMany({ where: { applicationId: id } });
      const left = obo.filter((g) => this.#catalog.scope(g.scope)?.onBehalfOf).map((g) => g.scope);
      if (left.length > 0) {
        errors.push({ path: ["onBehalfOfEnabled"], code: "on_behalf_of_scopes_granted", message: `revoke the on-behalf-of scopes first: ${left.join(", ")}` });
      }
    }
    assertValid(errors);
    const app = await this.#uniqueOrValidationError(shape, id, () => this.#db.$transaction(async (tx) => {
      await this.#assertUnique(tx, shape, id);
      await this.#lockApplication(tx, id);
      await options.inTransaction?.(tx, existing);
      if (input.redirectUris !== undefined || input.postLogoutRedirectUris !== undefined) {
        await tx.redirectUri.deleteMany({ where: { applicationId: id } });
        await tx.redirectUri.createMany({ data: this.#uriRows(shape).map((r) => ({ ...r, applicationId: id })) });
      }
      const updated = await tx.connectApplication.update({ where: { id }, data: this.#columns(shape) });
      if (shape.tokenEndpointAuthMethod === "PRIVATE_KEY_JWT" && base.tokenEndpointAuthMethod !== "PRIVATE_KEY_JWT") {
        await this.#revokeSecretsForKeys(tx, principal, updated);
      }
      await audit(tx, principal, updated.organizationId, options.auditAction ?? "application.updated", id, {
        fields: Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined),
      });
      // A PUBLIC app's critical fields go to review; outsiders keep the approved revision.
      await reviewCriticalChange(tx, principal, id);
      return updated;
    }));
    await this.#changes.announce("application", app.clientId);
    return app;
  }

  async delete(principal: Principal, id: string, options: WriteOptions = {}) {
    const existing = await this.findVisible(principal, id);
    await this.#db.$transaction(async (tx) => {
      await this.#lockApplication(tx, id);
      await options.inTransaction?.(tx, existing);
      await tx.connectApplication.delete({ where: { id } });
      await audit(tx, principal, existing.organizationId, options.auditAction ?? "application.deleted", id, {
        name: existing.name,
        clientId: existing.clientId,
      });
    });
    await this.#changes.announce("application", existing.clientId);
    return existing;
  }

  async addSecret(principal: Principal, applicationId: string, input: { description?: string | null; expiresInDays?: number | null }) {
    // The row alone: a secret needs no redirect URIs (one statement fewer than findVisible).
    const app = visibleOrAbsent(principal, await this.#db.connectApplication.findFirst({ where: { id: applicationId } }));
    if (!isConfidential(app.applicationType as ApplicationType, app.platform as Platform | null)) {
      throw new ValidationError([
        { path: ["applicationId"], code: "public_client_no_secret", message: `${app.platform} applications are public clients: they cannot keep a secret, so they use PKCE instead` },
      ]);
    }
    if (app.tokenEndpointAuthMethod === "PRIVATE_KEY_JWT") {
      throw new ValidationError([
        { path: ["applicationId"], code: "private_key_jwt_no_secret", message: "this application authenticates with its private key (PRIVATE_KEY_JWT): it has no secrets" },
      ]);
    }
    assertValid(validateSecretInput(input));
    // The id goes into the plaintext so verification finds one hash; hex has no '_'.
    const id = randomBytes(12).toString("hex");
    const plaintext = formatSecret(id);
    // Hash before the transaction: argon2 is slow and must not hold a database lock.
    const hash = await argon2Hash(plaintext, this.#config.argon2);
    const now = new Date();
    const secret = await this.#db.$transaction(async (tx) => {
      await this.#lockApplication(tx, applicationId);
      const active = await tx.clientSecret.count({
        where: { applicationId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      });
      if (active >= LIMITS.activeSecretsMax) {
        throw new ValidationError([
          { path: ["applicationId"], code: "too_many_secrets", message: `an application may have at most ${LIMITS.activeSecretsMax} active secrets: revoke one first` },
        ]);
      }
      const created = await tx.clientSecret.create({
        data: {
          id,
          applicationId,
          description: input.description ?? null,
          hash,
          hint: secretHint(plaintext),
          expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000) : null,
        },
      });
      await audit(tx, principal, app.organizationId, "client_secret.created", id, {
        applicationId: publicId("ConnectApplication", applicationId),
        hint: created.hint,
        expiresAt: created.expiresAt?.toISOString() ?? null,
      });
      return created;
    });
    await this.#changes.announce("application", app.clientId);
    return { secret, plaintext };
  }

  async revokeSecret(principal: Principal, secretId: string) {
    const secret = await this.#db.clientSecret.findUnique({ where: { id: secretId }, include: { application: true } });
    if (!secret || !maySeeApplication(principal, secret.application)) throw new NotFoundError("client secret");
    const revoked = await this.#db.$transaction(async (tx) => {
      const updated = await tx.clientSecret.update({
        where: { id: secretId },
        data: { revokedAt: secret.revokedAt ?? new Date() },
      });
      await audit(tx, principal, secret.application.organizationId, "client_secret.revoked", secretId, {
        applicationId: publicId("ConnectApplication", secret.applicationId),
        hint: secret.hint,
      });
      return updated;
    });
    await this.#changes.announce("application", secret.application.clientId);
    return revoked;
  }

  /**
   * An application that now proves itself with its private key keeps no secret alive: left
   * active, a secret would work again the moment the method went back to CLIENT_SECRET_BASIC,
   * even one leaked long ago. Each is revoked and audited as revokeSecret does; the caller's
   * announcement after the commit makes every process's client directory (and with it the
   * secret verifier, which reads it) forget them.
   */
  async #revokeSecretsForKeys(tx: Tx, principal: Principal, app: { id: string; organizationId: string | null }): Promise<void> {
    const now = new Date();
    const active = await tx.clientSecret.findMany({
      where: { applicationId: app.id, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      select: { id: true, hint: true },
    });
    if (active.length === 0) return;
    await tx.clientSecret.updateMany({ where: { id: { in: active.map((s) => s.id) }, revokedAt: null }, data: { revokedAt: now } });
    for (const secret of active) {
      await audit(tx, principal, app.organizationId, "client_secret.revoked", secret.id, {
        applicationId: publicId("ConnectApplication", app.id),
        hint: secret.hint,
        reason: "token_endpoint_auth_method_private_key_jwt",
      });
    }
  }

  async grantScopes(principal: Principal, applicationId: string, scopes: string[], kindInput?: PermissionKind | null) {
    const app = await this.findVisible(principal, applicationId);
    const kind = kindInput ?? defaultGrantKind(app.applicationType as ApplicationType);
    const unique = [...new Set(scopes)];
    assertValid([...validateGrant(this.#shapeOf(app), unique, kind, this.#catalog), ...connectGrantProblems(app, unique, kind)]);
    await this.#db.$transaction(async (tx) => {
      await this.#lockApplication(tx, applicationId);
      const existing = await tx.scopeGrant.findMany({ where: { applicationId, kind, scope: { in: unique } } });
      const have = new Set(existing.map((g) => g.scope));
      const added = unique.filter((s) => !have.has(s));
      if (added.length === 0) return; // granting what is already granted changes nothing
      await tx.scopeGrant.createMany({ data: added.map((scope) => ({ applicationId, scope, kind, grantedBy: principal.subject })) });
      await audit(tx, principal, app.organizationId, "scopes.granted", applicationId, { scopes: added, kind });
      if (kind === "DELEGATED") await reviewCriticalChange(tx, principal, applicationId);
    });
    await this.#changes.announce("application", app.clientId);
    return app;
  }

  async revokeScopes(principal: Principal, applicationId: string, scopes: string[], kindInput?: PermissionKind | null) {
    const app = await this.findVisible(principal, applicationId);
    if (scopes.length === 0) throw new ValidationError([{ path: ["scopes"], code: "scopes_required", message: "name at least one scope" }]);
    const kinds = kindInput ? [kindInput] : PERMISSION_KINDS;
    await this.#db.$transaction(async (tx) => {
      await this.#lockApplication(tx, applicationId);
      const { count } = await tx.scopeGrant.deleteMany({ where: { applicationId, scope: { in: scopes }, kind: { in: [...kinds] } } });
      if (count > 0) await audit(tx, principal, app.organizationId, "scopes.revoked", applicationId, { scopes, kinds });
      if (count > 0 && kinds.includes("DELEGATED")) await reviewCriticalChange(tx, principal, applicationId);
    });
    await this.#changes.announce("application", app.clientId);
    return app;
  }

  /** The organization must exist and be one the principal administers. */
  async #organizationErrors(principal: Principal, shape: ApplicationShape): Promise<FieldError[]> {
    if (!shape.organizationId) return [];
    const org = administers(principal, shape.organizationId)
      ? await this.#db.organization.findUnique({ where: { id: shape.organizationId } })
      : null;
    return org ? [] : [{ path: ["organizationId"], code: "organization_not_found", message: "no organization with that id" }];
  }

  /** First-party applications skip consent and are the operator's: only its admins register or mark them. */
  #firstPartyErrors(principal: Principal, shape: ApplicationShape): FieldError[] {
    if (!shape.isFirstParty || mayMarkFirstParty(principal)) return [];
    return [{ path: ["isFirstParty"], code: "first_party_operator_only", message: "only the operator organization may register or mark first-party applications" }];
  }

  /**
   * Serializes changes to one application: rules that count (at most 5 active secrets) or
   * read-then-write (grants) hold under concurrent requests. SQLite already runs one writer
   * at a time; PostgreSQL takes the application's row lock until the transaction ends.
   */
  #lockApplication(tx: Tx, id: string): Promise<void> {
    return lockApplication(tx, this.#provider, id);
  }

  /**
   * The read in #assertUnique gives the helpful message; the database's unique indexes hold the
   * rule under concurrency. A concurrent writer that won the race committed first: asking again
   * outside the transaction names the field it took.
   */
  async #uniqueOrValidationError<T>(shape: ApplicationShape, selfId: string | null, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if ((err as { code?: string } | null)?.code !== "P2002") throw err;
      await this.#assertUnique(this.#db as unknown as Tx, shape, selfId);
      throw new ValidationError([{ path: ["name"], code: "name_taken", message: "is already used by another application of this organization" }]);
    }
  }

  async #assertUnique(tx: Tx, shape: ApplicationShape, selfId: string | null): Promise<void> {
    const errors: FieldError[] = [];
    const notSelf = selfId ? { id: { not: selfId } } : {};
    const sameName = await tx.connectApplication.findFirst({
      where: { organizationId: shape.organizationId, name: shape.name, ...notSelf },
      select: { id: true },
    });
    if (sameName) errors.push({ path: ["name"], code: "name_taken", message: "is already used by another application of this organization" });
    if (shape.clientCode) {
      const sameCode = await tx.connectApplication.findFirst({ where: { clientCode: shape.clientCode, ...notSelf }, select: { id: true } });
      if (sameCode) errors.push({ path: ["clientCode"], code: "client_code_taken", message: "is already taken" });
    }
    assertValid(errors);
  }

  #columns(shape: ApplicationShape) {
    return {
      ...(Object.fromEntries(COLUMN_FIELDS.map((key) => [key, shape[key]])) as ColumnValues),
      platform: shape.applicationType === "M2M" ? null : shape.platform,
      usesPkce: shape.applicationType === "M2M" ? false : shape.usesPkce,
      tokenExchangeEnabled: shape.tokenExchange.enabled,
      tokenExchangeAccessTokenTtl: shape.tokenExchange.accessTokenTtlSeconds,
    };
  }

  #uriRows(shape: ApplicationShape) {
    return [
      ...shape.redirectUris.map((r, position) => ({ uri: r.uri, isDefault: r.default, kind: "REDIRECT", position })),
      ...shape.postLogoutRedirectUris.map((uri, position) => ({ uri, isDefault: false, kind: "POST_LOGOUT", position })),
    ];
  }

  #shapeOf(app: ApplicationRow): ApplicationShape {
    const byPosition = (kind: string) =>
      app.redirectUris.filter((r) => r.kind === kind).sort((a, b) => a.position - b.position);
    return {
      ...(Object.fromEntries(COLUMN_FIELDS.map((key) => [key, app[key]])) as ColumnValues),
      applicationType: app.applicationType as ApplicationType,
      platform: app.platform as Platform | null,
      redirectUris: byPosition("REDIRECT").map((r) => ({ uri: r.uri, default: r.isDefault })),
      postLogoutRedirectUris: byPosition("POST_LOGOUT").map((r) => r.uri),
      usesPkce: app.usesPkce,
      organizationId: app.organizationId,
      tokenExchange: { enabled: app.tokenExchangeEnabled, accessTokenTtlSeconds: app.tokenExchangeAccessTokenTtl },
    };
  }
}

/** The application if the principal may see it; otherwise NotFoundError, exactly as if it did not exist. */
function visibleOrAbsent<T extends { clientId: string; organizationId: string | null; isFirstParty: boolean }>(principal: Principal, app: T | null): T {
  if (!app || !maySeeApplication(principal, app)) throw new NotFoundError();
  return app;
}

