// Identity providers per organization: the external issuers whose tokens token exchange
// accepts, managed by the organization's ADMINs. Every change is audited in the same
// transaction; another organization's provider is NotFoundError, exactly as if absent.
import type { Db, Prisma } from "../db/client.ts";
import type { Principal } from "../access/principal.ts";
import { administeredOrganizationIds, administers, requireRegistryScope } from "../access/policy.ts";
import { publicId } from "../ids.ts";
import { sealProviderSecret } from "../crypto/key-encryption.ts";
import { assertValid, NotFoundError, ValidationError } from "../errors.ts";
import type { FieldError } from "./rules.ts";
import { textErrors } from "./text.ts";
import { checkProviderUrl } from "../auth/provider-urls.ts";
import { DOMAIN_PATTERN, IDP_LIMITS } from "./limits.ts";
import { audit } from "../audit/record.ts";

export type SubjectMapping = "EMAIL" | "SUB";
export const SUBJECT_MAPPINGS: readonly SubjectMapping[] = ["EMAIL", "SUB"];

export { IDP_LIMITS };

/** A linked external subject: 1 to IDP_LIMITS.subjectMax characters. */
export function isSubjectLength(subject: string): boolean {
  return subject.length > 0 && subject.length <= IDP_LIMITS.subjectMax;
}

export type JitRole = "ADMIN" | "MEMBER";

/** Sign-in through the provider (OpenID Connect code flow): what an ADMIN sets. */
export interface SignInInput {
  enabled: boolean;
  clientId?: string | null;
  /** Write-only. Omitted on update: the stored one is kept. */
  clientSecret?: string | null;
  /** Omitted on update: kept. */
  emailDomains?: string[] | null;
  /** Null or omitted: unknown people are refused. */
  jitRole?: JitRole | null;
}

const DOMAIN = DOMAIN_PATTERN;

import type { IdentityProviderRow } from "./identity-provider-directory.ts";

export interface IdentityProviderInput {
  name?: string | null;
  issuer?: string | null;
  jwksUri?: string | null;
  audience?: string | null;
  subjectMapping?: SubjectMapping | null;
  clockSkewSeconds?: number | null;
  signIn?: SignInInput | null;
}

interface IdentityProviderShape {
  name: string;
  issuer: string;
  jwksUri: string | null;
  audience: string;
  subjectMapping: SubjectMapping;
  clockSkewSeconds: number;
}

export { checkProviderUrl };

export function validateIdentityProvider(shape: IdentityProviderShape, allowLoopbackHttp: boolean): FieldError[] {
  const errors: FieldError[] = textErrors({ name: shape.name, issuer: shape.issuer, jwksUri: shape.jwksUri, audience: shape.audience });
  if (errors.length > 0) return errors;
  const fail = (field: string, message: string) => errors.push({ path: [field], code: `identity_provider_${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_invalid`, message });
  const name = shape.name.trim();
  if (name.length === 0 || name.length > IDP_LIMITS.nameMax) fail("name", `must be 1 to ${IDP_LIMITS.nameMax} characters`);
  const issuerError = checkProviderUrl(shape.issuer, allowLoopbackHttp);
  if (issuerError) fail("issuer", issuerError);
  if (shape.jwksUri !== null) {
    const jwksError = checkProviderUrl(shape.jwksUri, allowLoopbackHttp);
    if (jwksError) fail("jwksUri", jwksError);
  }
  const audience = shape.audience.trim();
  if (audience.length === 0 || audience.length > IDP_LIMITS.audienceMax) fail("audience", `must be 1 to ${IDP_LIMITS.audienceMax} characters`);
  if (!SUBJECT_MAPPINGS.includes(shape.subjectMapping)) fail("subjectMapping", "must be EMAIL or SUB");
  const skew = shape.clockSkewSeconds;
  if (!Number.isInteger(skew) || skew < 0 || skew > IDP_LIMITS.clockSkewMax) fail("clockSkewSeconds", `must be an integer from 0 to ${IDP_LIMITS.clockSkewMax}`);
  return errors;
}

function shapeOf(input: IdentityProviderInput, base?: IdentityProviderRow): IdentityProviderShape {
  const pick = <K extends keyof IdentityProviderInput>(key: K, fallback: NonNullable<IdentityProviderInput[K]>) =>
    (input[key] ?? (base ? (base[key as keyof IdentityProviderRow] as IdentityProviderInput[K]) : undefined) ?? fallback) as NonNullable<IdentityProviderInput[K]>;
  return {
    name: pick("name", "").trim(),
    issuer: pick("issuer", ""),
    // An explicit null clears the URI (back to discovery); undefined keeps it.
    jwksUri: input.jwksUri === undefined ? (base?.jwksUri ?? null) : input.jwksUri,
    audience: pick("audience", "").trim(),
    subjectMapping: pick("subjectMapping", "EMAIL" as SubjectMapping),
    clockSkewSeconds: pick("clockSkewSeconds", IDP_LIMITS.clockSkewDefault),
  };
}

export class IdentityProviderService {
  #db: Db;
  /** Told about every change so cached keys and discovery follow the new settings. */
  #onChange: (provider: { organizationId: string; issuer: string; jwksUri: string | null }) => void | Promise<void>;

  readonly #allowLoopbackHttp: boolean;
  /** SCOPEKEEPER_KEY_ENCRYPTION_SECRET: seals sign-in client secrets at rest. */
  readonly #secretKey: string | undefined;

  constructor(
    db: Db,
    options: {
      allowLoopbackHttp: boolean;
      secretKey?: string | undefined;
      onChange?: (provider: { organizationId: string; issuer: string; jwksUri: string | null }) => void | Promise<void>;
    },
  ) {
    this.#db = db;
    this.#allowLoopbackHttp = options.allowLoopbackHttp;
    this.#secretKey = options.secretKey;
    this.#onChange = options.onChange ?? (() => undefined);
  }

  /** Providers of one organization, or of every organization the principal administers. */
  async list(principal: Principal, organizationId: string | null): Promise<IdentityProviderRow[]> {
    requireRegistryScope(principal, "read");
    const orgs = organizationId ? (administers(principal, organizationId) ? [organizationId] : []) : administeredOrganizationIds(principal);
    if (orgs.length === 0) return [];
    return this.#db.identityProvider.findMany({ where: { organizationId: { in: orgs } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  }

  async findManaged(principal: Principal, id: string): Promise<IdentityProviderRow> {
    requireRegistryScope(principal, "manage");
    const row = await this.#db.identityProvider.findUnique({ where: { id } });
    if (!row || !administers(principal, row.organizationId)) throw new NotFoundError("identity provider");
    return row;
  }

  async register(principal: Principal, organizationId: string | null, input: IdentityProviderInput): Promise<IdentityProviderRow> {
    requireRegistryScope(principal, "manage");
    if (!organizationId || !administers(principal, organizationId)) {
      throw new ValidationError([{ path: ["organizationId"], code: "organization_not_found", message: "no organization with that id" }]);
    }
    const shape = shapeOf(input);
    const signIn = signInShapeOf(input.signIn, null, []);
    assertValid([...validateIdentityProvider(shape, this.#allowLoopbackHttp), ...validateSignIn(signIn)]);
    const row = await this.#db.$transaction(async (tx) => {
      const count = await tx.identityProvider.count({ where: { organizationId } });
      if (count >= IDP_LIMITS.providersPerOrganization) {
        throw new ValidationError([{ path: ["organizationId"], code: "too_many_identity_providers", message: `an organization may have at most ${IDP_LIMITS.providersPerOrganization} identity providers` }]);
      }
      await assertUniqueName(tx, organizationId, shape.name, null);
      await assertDomainsFree(tx, signIn.emailDomains, null);
      const created = await tx.identityProvider.create({ data: { organizationId, ...shape, ...this.#signInData(signIn) } });
      await writeDomains(tx, created.id, signIn.emailDomains);
      await audit(tx, principal, organizationId, "identity_provider.registered", publicId("IdentityProvider", created.id), {
        ...describe(created),
        signIn: describeSignIn(signIn),
      });
      return created;
    });
    await this.#onChange(row);
    return row;
  }

  async update(principal: Principal, id: string, input: IdentityProviderInput): Promise<IdentityProviderRow> {
    const existing = await this.findManaged(principal, id);
    const shape = shapeOf(input, existing);
    const domains = (await this.#db.identityProviderDomain.findMany({ where: { identityProviderId: id }, orderBy: { domain: "asc" } })).map((d) => d.domain);
    const signIn = signInShapeOf(input.signIn, existing, domains);
    assertValid([...validateIdentityProvider(shape, this.#allowLoopbackHttp), ...validateSignIn(signIn)]);
    const row = await this.#db.$transaction(async (tx) => {
      await assertUniqueName(tx, existing.organizationId, shape.name, id);
      await assertDomainsFree(tx, signIn.emailDomains, id);
      const updated = await tx.identityProvider.update({ where: { id }, data: { ...shape, ...this.#signInData(signIn) } });
      await writeDomains(tx, id, signIn.emailDomains);
      await audit(tx, principal, existing.organizationId, "identity_provider.updated", publicId("IdentityProvider", id), {
        fields: Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined),
        ...describe(updated),
        signIn: describeSignIn(signIn),
      });
      return updated;
    });
    await this.#onChange(existing);
    await this.#onChange(row);
    return row;
  }

  async remove(principal: Principal, id: string): Promise<IdentityProviderRow> {
    const existing = await this.findManaged(principal, id);
    await this.#db.$transaction(async (tx) => {
      await tx.identityProvider.delete({ where: { id } });
      await audit(tx, principal, existing.organizationId, "identity_provider.removed", publicId("IdentityProvider", id), describe(existing));
    });
    await this.#onChange(existing);
    return existing;
  }

  #signInData(s: SignInShape) {
    return {
      signInEnabled: s.enabled,
      signInClientId: s.clientId,
      signInClientSecret: s.newSecret !== null ? sealProviderSecret(s.newSecret, this.#secretKey) : s.storedSecret,
      signInJitRole: s.jitRole,
    };
  }

  /** Links an external `sub` to a member of the provider's organization; a new link replaces the old one. */
  async link(principal: Principal, identityProviderId: string, subject: string, userId: string | null): Promise<IdentityProviderRow> {
    const provider = await this.findManaged(principal, identityProviderId);
    const errors: FieldError[] = [];
    if (provider.subjectMapping !== "SUB") {
      errors.push({ path: ["identityProviderId"], code: "identity_provider_maps_by_email", message: "this provider maps people by their verified email; links are for providers with subjectMapping SUB" });
    }
    if (!isSubjectLength(subject)) errors.push({ path: ["subject"], code: "subject_length", message: `must be 1 to ${IDP_LIMITS.subjectMax} characters` });
    errors.push(...textErrors({ subject }));
    const member = userId
      ? await this.#db.membership.findUnique({ where: { organizationId_userId: { organizationId: provider.organizationId, userId } } })
      : null;
    if (!member) errors.push({ path: ["userId"], code: "member_not_found", message: "no member of this organization with that id" });
    assertValid(errors);
    await this.#db.$transaction(async (tx) => {
      await tx.externalIdentity.upsert({
        where: { identityProviderId_subject: { identityProviderId, subject } },
        create: { identityProviderId, subject, userId: userId! },
        update: { userId: userId! },
      });
      await audit(tx, principal, provider.organizationId, "identity_provider.linked", publicId("IdentityProvider", identityProviderId), {
        subject,
        userId: publicId("User", userId!),
      });
    });
    return provider;
  }
}

export interface SignInShape {
  enabled: boolean;
  clientId: string | null;
  /** A new secret to seal, or null to keep what is stored (`storedSecret`). */
  newSecret: string | null;
  storedSecret: string | null;
  emailDomains: string[];
  jitRole: string | null;
}

function signInShapeOf(input: SignInInput | null | undefined, base: IdentityProviderRow | null, baseDomains: string[]): SignInShape {
  const stored: SignInShape = {
    enabled: base?.signInEnabled ?? false,
    clientId: base?.signInClientId ?? null,
    newSecret: null,
    storedSecret: base?.signInClientSecret ?? null,
    emailDomains: baseDomains,
    jitRole: base?.signInJitRole ?? null,
  };
  if (!input) return stored;
  const domains = input.emailDomains == null ? baseDomains : [...new Set(input.emailDomains.map((d) => d.trim().toLowerCase()))];
  return {
    enabled: input.enabled,
    clientId: input.clientId === undefined ? stored.clientId : (input.clientId?.trim() ?? null),
    newSecret: input.clientSecret ?? null,
    storedSecret: stored.storedSecret,
    emailDomains: domains,
    jitRole: input.jitRole === undefined ? stored.jitRole : input.jitRole,
  };
}

export function validateSignIn(s: SignInShape): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (path: string[], code: string, message: string) => errors.push({ path: ["signIn", ...path], code, message });
  if (s.clientId !== null && (s.clientId.length === 0 || s.clientId.length > IDP_LIMITS.clientIdMax)) fail(["clientId"], "sign_in_client_id_invalid", `must be 1 to ${IDP_LIMITS.clientIdMax} characters`);
  if (s.newSecret !== null && (s.newSecret.length === 0 || s.newSecret.length > IDP_LIMITS.clientSecretMax)) fail(["clientSecret"], "sign_in_client_secret_invalid", `must be 1 to ${IDP_LIMITS.clientSecretMax} characters`);
  if (s.enabled && s.clientId === null) fail(["clientId"], "sign_in_client_id_required", "is required to sign people in through this provider");
  if (s.enabled && s.newSecret === null && s.storedSecret === null) fail(["clientSecret"], "sign_in_client_secret_required", "is required to sign people in through this provider");
  if (s.emailDomains.length > IDP_LIMITS.emailDomainsMax) fail(["emailDomains"], "too_many_email_domains", `at most ${IDP_LIMITS.emailDomainsMax}`);
  s.emailDomains.forEach((d, i) => {
    if (!DOMAIN.test(d)) fail(["emailDomains", String(i)], "email_domain_invalid", "must be a domain name such as example.com");
  });
  if (s.jitRole !== null && s.jitRole !== "ADMIN" && s.jitRole !== "MEMBER") fail(["jitRole"], "jit_role_invalid", "must be MEMBER or ADMIN");
  return errors;
}

/** A domain sends its people to one provider only: the first to claim it keeps it. */
async function assertDomainsFree(tx: Prisma.TransactionClient, domains: string[], selfId: string | null): Promise<void> {
  if (domains.length === 0) return;
  const taken = await tx.identityProviderDomain.findMany({
    where: { domain: { in: domains }, ...(selfId ? { identityProviderId: { not: selfId } } : {}) },
    select: { domain: true },
  });
  if (taken.length) {
    throw new ValidationError(
      taken.map((t) => ({
        path: ["signIn", "emailDomains", String(domains.indexOf(t.domain))],
        code: "email_domain_taken",
        message: `${t.domain} already signs in through another identity provider`,
      })),
    );
  }
}

async function writeDomains(tx: Prisma.TransactionClient, identityProviderId: string, domains: string[]): Promise<void> {
  await tx.identityProviderDomain.deleteMany({ where: { identityProviderId, domain: { notIn: domains } } });
  const kept = new Set((await tx.identityProviderDomain.findMany({ where: { identityProviderId }, select: { domain: true } })).map((d) => d.domain));
  const added = domains.filter((d) => !kept.has(d));
  if (added.length) await tx.identityProviderDomain.createMany({ data: added.map((domain) => ({ identityProviderId, domain })) });
}

function describeSignIn(s: SignInShape): Record<string, unknown> {
  // Never the secret: only whether this change set a new one.
  return { enabled: s.enabled, clientId: s.clientId, emailDomains: s.emailDomains, jitRole: s.jitRole, clientSecretChanged: s.newSecret !== null };
}

async function assertUniqueName(tx: Prisma.TransactionClient, organizationId: string, name: string, selfId: string | null): Promise<void> {
  const same = await tx.identityProvider.findFirst({
    where: { organizationId, name, ...(selfId ? { id: { not: selfId } } : {}) },
    select: { id: true },
  });
  if (same) throw new ValidationError([{ path: ["name"], code: "identity_provider_name_taken", message: "is already used by another identity provider of this organization" }]);
}

function describe(row: IdentityProviderRow): Record<string, unknown> {
  return { name: row.name, issuer: row.issuer, jwksUri: row.jwksUri, audience: row.audience, subjectMapping: row.subjectMapping };
}
