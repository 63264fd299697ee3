// Initial access tokens (RFC 7591 §3): dynamic registration is off for an organization until
// one of its ADMINs creates one. The plaintext is shown once; only its SHA-256 is kept.
//
// Why SHA-256 and not argon2 as for client secrets: these tokens are 256 random bits, so no
// dictionary or brute force gets anywhere near them and a slow hash would protect nothing; a
// fast, deterministic hash lets one indexed look-up find the token, and a stolen database
// still yields no usable token.
import { randomBytes } from "node:crypto";
import type { Db, Prisma } from "../db/client.ts";
import { sha256 } from "../crypto/random.ts";
import type { Principal } from "../access/principal.ts";
import { administers, requireOrganizationAdmin, requireRegistryScope } from "../access/policy.ts";
import { publicId } from "../ids.ts";
import { audit } from "../audit/record.ts";
import { assertValid, NotFoundError } from "../errors.ts";
import type { FieldError } from "./rules.ts";

type Tx = Prisma.TransactionClient;

export const REGISTRATION_TOKEN_LIMITS = {
  expiresInDaysDefault: 7,
  expiresInDaysMax: 365,
  maxUsesDefault: 1,
  maxUsesMax: 1000,
} as const;

/** A prefix that secret scanners and people recognize; the rest is 256 random bits. */
const TOKEN_PREFIX = "skr_";

export interface RegistrationTokenInput {
  expiresInDays?: number | null;
  maxUses?: number | null;
}

export function validateRegistrationTokenInput(input: RegistrationTokenInput): FieldError[] {
  const errors: FieldError[] = [];
  const days = input.expiresInDays;
  if (days != null && (!Number.isInteger(days) || days < 1 || days > REGISTRATION_TOKEN_LIMITS.expiresInDaysMax)) {
    errors.push({ path: ["expiresInDays"], code: "registration_token_expiry_range", message: `must be a whole number of days from 1 to ${REGISTRATION_TOKEN_LIMITS.expiresInDaysMax}` });
  }
  const uses = input.maxUses;
  if (uses != null && (!Number.isInteger(uses) || uses < 1 || uses > REGISTRATION_TOKEN_LIMITS.maxUsesMax)) {
    errors.push({ path: ["maxUses"], code: "registration_token_uses_range", message: `must be a whole number from 1 to ${REGISTRATION_TOKEN_LIMITS.maxUsesMax}` });
  }
  return errors;
}

/** Usable now: not revoked, not expired, uses left. */
function usableWhere(now: Date) {
  return { revokedAt: null, expiresAt: { gt: now }, usesLeft: { gt: 0 } };
}

export class RegistrationTokenService {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }


  async create(principal: Principal, organizationId: string, input: RegistrationTokenInput) {
    requireOrganizationAdmin(principal, organizationId);
    assertValid(validateRegistrationTokenInput(input));
    const org = await this.#db.organization.findUnique({ where: { id: organizationId }, select: { id: true } });
    if (!org) throw new NotFoundError("organization");
    const plaintext = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    const days = input.expiresInDays ?? REGISTRATION_TOKEN_LIMITS.expiresInDaysDefault;
    const maxUses = input.maxUses ?? REGISTRATION_TOKEN_LIMITS.maxUsesDefault;
    const token = await this.#db.$transaction(async (tx) => {
      const created = await tx.registrationToken.create({
        data: {
          organizationId,
          tokenHash: sha256(plaintext),
          maxUses,
          usesLeft: maxUses,
          createdBy: principal.subject,
          expiresAt: new Date(Date.now() + days * 86_400_000),
        },
      });
      await audit(tx, principal, organizationId, "registration_token.created", created.id, {
        expiresAt: created.expiresAt.toISOString(),
        maxUses,
      });
      return created;
    });
    return { token, plaintext };
  }

  async revoke(principal: Principal, id: string) {
    requireRegistryScope(principal, "manage");
    const token = await this.#db.registrationToken.findUnique({ where: { id } });
    if (!token || !administers(principal, token.organizationId)) throw new NotFoundError("registration token");
    return this.#db.$transaction(async (tx) => {
      const updated = await tx.registrationToken.update({ where: { id }, data: { revokedAt: token.revokedAt ?? new Date() } });
      if (!token.revokedAt) await audit(tx, principal, token.organizationId, "registration_token.revoked", id, {});
      return updated;
    });
  }

  /** The usable token a plaintext names, or null: unknown, revoked, expired and used up look alike. */
  async find(plaintext: string) {
    if (!plaintext.startsWith(TOKEN_PREFIX)) return null;
    return this.#db.registrationToken.findFirst({ where: { tokenHash: sha256(plaintext), ...usableWhere(new Date()) } });
  }

  /**
   * Takes one use, atomically: of two registrations racing for the last use, one gets it. Taken
   * before any slow work (hashing the new client's secret), so a burst of registrations on a
   * spent token costs one UPDATE each; a registration that then fails gives it back (release).
   */
  async consume(tx: Tx | Db, id: string): Promise<boolean> {
    const { count } = await tx.registrationToken.updateMany({ where: { id, ...usableWhere(new Date()) }, data: { usesLeft: { decrement: 1 } } });
    return count === 1;
  }

  /** Gives back a use taken by a registration that was then refused. */
  async release(id: string): Promise<void> {
    await this.#db.registrationToken.updateMany({ where: { id }, data: { usesLeft: { increment: 1 } } });
  }

  publicId(id: string): string {
    return publicId("RegistrationToken", id);
  }
}
