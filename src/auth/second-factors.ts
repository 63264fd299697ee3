// A person's second factors: an authenticator app (TOTP, RFC 6238 through otplib: SHA-1, 6
// digits, 30 s, one step of skew either way) with one-time recovery codes, and passkeys
// (src/auth/passkeys.ts). What holds for every factor:
// - codes are throttled like passwords: the sign-in throttle's account and address counters
//   (a wrong code is a failed sign-in), reserved before the check and given back on success;
// - a TOTP code is accepted once: the step it belongs to is stored, and only a later step
//   passes after it (an atomic compare-and-set, so two requests with one code cannot both win);
// - a recovery code works once (a conditional update on `usedAt`); only its SHA-256 is kept,
//   as the codes are 50 random bits and throttled like passwords;
// - the TOTP secret is sealed at rest with SCOPEKEEPER_KEY_ENCRYPTION_SECRET (like providers'
//   client secrets);
// - every change is an audit event, and, with SMTP_URL, a notice mailed to the person.
import { randomInt } from "node:crypto";
import { generateSecret, generateURI, verify } from "otplib";
import { secondFactorRequired } from "../access/policy.ts";
import { audit, type Actor } from "../audit/record.ts";
import type { Config } from "../config/index.ts";
import { openSecret, sealSecret } from "../crypto/key-encryption.ts";
import { sha256 } from "../crypto/random.ts";
import type { Db, Prisma } from "../db/client.ts";
import { publicId } from "../ids.ts";
import type { Mailer } from "../mail/mailer.ts";
import { composeMail, PRODUCT_NAME } from "../mail/templates.ts";
import { throttleAddress } from "../throttles/addresses.ts";
import type { FailureThrottle } from "../throttles/failure-throttle.ts";
import { accountKey, type SignInAttempt } from "../throttles/throttles.ts";

/** RFC 6238 as every authenticator app reads an otpauth:// URI without parameters. */
export const TOTP_PERIOD_SECONDS = 30;
/** One step of clock skew either way. */
const TOTP_TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

export type FactorKind = "totp" | "passkey" | "recovery_codes";

export interface FactorStatus {
  totp: { since: Date } | null;
  recoveryCodesLeft: number;
  passkeys: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null }[];
}

export interface TotpSetup {
  /** Base32, as the person types it into an app that cannot scan. */
  secret: string;
  /** otpauth://totp/... for the QR code. */
  uri: string;
}

/** How a code passed at sign-in. */
export type CodeResult = "totp" | "recovery" | null;

const person = (userId: string): Actor => ({ kind: "USER", subject: publicId("User", userId) });

/**
 * A change to a person's own factors, in the audit trail of every organization they belong to
 * (so each organization's ADMINs see it in auditEvents), or once without an organization.
 */
export async function auditPersonFactor(tx: Prisma.TransactionClient, userId: string, action: string, details: Record<string, unknown>): Promise<void> {
  const memberships = await tx.membership.findMany({ where: { userId }, select: { organizationId: true } });
  const organizations = memberships.length > 0 ? memberships.map((m) => m.organizationId) : [null];
  for (const organizationId of organizations) await audit(tx, person(userId), organizationId, action, userId, details);
}

/** "abcde-fghij": 10 characters of an alphabet without look-alikes, 50 bits. */
function recoveryCode(): string {
  let code = "";
  for (let i = 0; i < 10; i++) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** What a person typed into "Code": spaces and dashes dropped, lower case. */
export function normaliseCode(input: string): string {
  return input.replace(/[\s-]/g, "").toLowerCase().slice(0, 64);
}

export class SecondFactors {
  readonly #db: Db;
  readonly #config: Pick<Config, "issuer" | "keyEncryptionSecret">;
  readonly #throttle: FailureThrottle<SignInAttempt>;
  readonly #mailer: Mailer;

  constructor(opts: { db: Db; config: Pick<Config, "issuer" | "keyEncryptionSecret">; throttle: FailureThrottle<SignInAttempt>; mailer: Mailer }) {
    this.#db = opts.db;
    this.#config = opts.config;
    this.#throttle = opts.throttle;
    this.#mailer = opts.mailer;
  }

  async status(userId: string): Promise<FactorStatus> {
    const [totp, recoveryCodesLeft, passkeys] = await Promise.all([
      this.#db.totpFactor.findUnique({ where: { userId }, select: { confirmedAt: true } }),
      this.#db.recoveryCode.count({ where: { userId, usedAt: null } }),
      this.#db.passkey.findMany({ where: { userId }, orderBy: { createdAt: "asc" }, select: { id: true, name: true, createdAt: true, lastUsedAt: true } }),
    ]);
    return { totp: totp?.confirmedAt ? { since: totp.confirmedAt } : null, recoveryCodesLeft, passkeys };
  }

  /** Whether sign-in must ask for a second factor: an authenticator app or a passkey is set up. */
  async has(userId: string): Promise<{ totp: boolean; passkey: boolean }> {
    const [totp, passkeys] = await Promise.all([
      this.#db.totpFactor.count({ where: { userId, confirmedAt: { not: null } } }),
      this.#db.passkey.count({ where: { userId } }),
    ]);
    return { totp: totp > 0, passkey: passkeys > 0 };
  }

  /** account.second_factor: an organization of the person requires one (src/access/policy.ts decides). */
  async required(userId: string): Promise<boolean> {
    const memberships = await this.#db.membership.findMany({ where: { userId }, select: { organization: { select: { requireMfa: true } } } });
    return secondFactorRequired(memberships.map((m) => m.organization));
  }

  /**
   * "Add authenticator app": a new secret, kept unconfirmed until a code made with it passes.
   * Null when the person already has a confirmed app (they remove it first).
   */
  async startTotp(userId: string, email: string): Promise<TotpSetup | null> {
    const existing = await this.#db.totpFactor.findUnique({ where: { userId }, select: { confirmedAt: true } });
    if (existing?.confirmedAt) return null;
    const secret = generateSecret();
    const secretSealed = sealSecret(secret, this.#config.keyEncryptionSecret, "totp-secret");
    await this.#db.totpFactor.upsert({ where: { userId }, create: { userId, secretSealed }, update: { secretSealed, lastTimeStep: null, confirmedAt: null } });
    return this.#setup(secret, email);
  }

  /** The app being added (to show its QR code again after a wrong code), or null. */
  async pendingTotp(userId: string, email: string): Promise<TotpSetup | null> {
    const row = await this.#db.totpFactor.findUnique({ where: { userId } });
    if (!row || row.confirmedAt) return null;
    return this.#setup(openSecret(row.secretSealed, this.#config.keyEncryptionSecret, "totp-secret"), email);
  }

  #setup(secret: string, email: string): TotpSetup {
    const label = new URL(this.#config.issuer).host;
    return { secret, uri: generateURI({ issuer: `${PRODUCT_NAME} (${label})`, label: email, secret }) };
  }

  /**
   * "Verify" while adding an app: the first good code confirms it and yields the recovery codes
   * (shown once). Null for a wrong code; throws Throttled past the sign-in limits.
   */
  async confirmTotp(user: { id: string; email: string }, code: string, address: string): Promise<string[] | null> {
    const row = await this.#db.totpFactor.findUnique({ where: { userId: user.id } });
    if (!row || row.confirmedAt) return null;
    const reservation = await this.#throttle.reserve(this.#keys(user.email, address), { email: user.email, organizationId: null });
    const step = await this.#totpStep(row.secretSealed, code, null);
    if (step === null) return null;
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
    const confirmed = await this.#db.$transaction(async (tx) => {
      const won = await tx.totpFactor.updateMany({ where: { id: row.id, confirmedAt: null, secretSealed: row.secretSealed }, data: { confirmedAt: new Date(), lastTimeStep: step } });
      if (won.count !== 1) return false;
      await this.#replaceRecoveryCodes(tx, user.id, codes);
      await auditPersonFactor(tx, user.id, "user.second_factor_added", { factor: "totp" });
      return true;
    });
    if (!confirmed) return null;
    await reservation.refund();
    this.#notify(user.email, "An authenticator app was added to your account", "authenticator app");
    return codes;
  }

  /**
   * The second step of a sign-in: a code from the app (once per time step) or an unused
   * recovery code (once). Throws Throttled past the sign-in limits.
   */
  async verifySignIn(user: { id: string; email: string }, input: string, address: string): Promise<CodeResult> {
    const code = normaliseCode(input);
    const reservation = await this.#throttle.reserve(this.#keys(user.email, address), { email: user.email, organizationId: null });
    let result: CodeResult = null;
    if (/^\d{6}$/.test(code)) {
      const row = await this.#db.totpFactor.findUnique({ where: { userId: user.id } });
      if (row?.confirmedAt) {
        const step = await this.#totpStep(row.secretSealed, code, row.lastTimeStep);
        // Compare-and-set: of two requests carrying one code, one moves the step and wins.
        if (step !== null) {
          const won = await this.#db.totpFactor.updateMany({
            where: { id: row.id, OR: [{ lastTimeStep: null }, { lastTimeStep: { lt: step } }] },
            data: { lastTimeStep: step },
          });
          if (won.count === 1) result = "totp";
        }
      }
    } else if (code.length === 10) {
      result = await this.#db.$transaction(async (tx) => {
        const used = await tx.recoveryCode.updateMany({ where: { userId: user.id, codeHash: sha256(code), usedAt: null }, data: { usedAt: new Date() } });
        if (used.count !== 1) return null;
        const left = await tx.recoveryCode.count({ where: { userId: user.id, usedAt: null } });
        await auditPersonFactor(tx, user.id, "user.recovery_code_used", { left });
        return "recovery" as const;
      });
    }
    if (result) await reservation.refund();
    return result;
  }

  /** The time step a code belongs to, or null when it is wrong or not after `after`. */
  async #totpStep(secretSealed: string, code: string, after: number | null): Promise<number | null> {
    if (!/^\d{6}$/.test(code)) return null;
    const secret = openSecret(secretSealed, this.#config.keyEncryptionSecret, "totp-secret");
    const result = await verify({
      secret,
      token: code,
      epochTolerance: TOTP_TOLERANCE_SECONDS,
      ...(after !== null ? { afterTimeStep: after } : {}),
    });
    return result.valid && "timeStep" in result ? result.timeStep : null;
  }

  async removeTotp(userId: string, email: string): Promise<boolean> {
    const removed = await this.#db.$transaction(async (tx) => {
      const gone = await tx.totpFactor.deleteMany({ where: { userId, confirmedAt: { not: null } } });
      if (gone.count === 0) return false;
      await tx.recoveryCode.deleteMany({ where: { userId } });
      await auditPersonFactor(tx, userId, "user.second_factor_removed", { factor: "totp" });
      return true;
    });
    if (removed) this.#notify(email, "An authenticator app was removed from your account", "authenticator app", "removed");
    return removed;
  }

  /** New recovery codes, the old ones void; null without an authenticator app. */
  async newRecoveryCodes(userId: string, email: string): Promise<string[] | null> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
    const made = await this.#db.$transaction(async (tx) => {
      if ((await tx.totpFactor.count({ where: { userId, confirmedAt: { not: null } } })) === 0) return false;
      await this.#replaceRecoveryCodes(tx, userId, codes);
      await auditPersonFactor(tx, userId, "user.recovery_codes_replaced", { count: codes.length });
      return true;
    });
    if (!made) return null;
    this.#notify(email, "New recovery codes were made for your account", "set of recovery codes");
    return codes;
  }

  async #replaceRecoveryCodes(tx: Prisma.TransactionClient, userId: string, codes: string[]): Promise<void> {
    await tx.recoveryCode.deleteMany({ where: { userId } });
    await tx.recoveryCode.createMany({ data: codes.map((c) => ({ userId, codeHash: sha256(normaliseCode(c)) })) });
  }

  #keys(email: string, address: string) {
    return { address: throttleAddress(address), subject: accountKey(email.trim().toLowerCase()) };
  }

  /** The new-factor notice (and its removal's), when mail is on; never awaited by the page. */
  #notify(to: string, subject: string, what: string, verb: "added" | "removed" = "added"): void {
    if (!this.#mailer.enabled) return;
    void this.#mailer.send({
      to,
      ...composeMail({
        subject,
        organizationName: null,
        heading: subject,
        paragraphs: [
          `${verb === "added" ? "A new" : "A"} ${what} was ${verb} ${verb === "added" ? "to" : "from"} your ${PRODUCT_NAME} account (${to}) on ${new Date().toUTCString()}.`,
          "If this was you, there is nothing to do.",
        ],
        action: { label: "Review your security settings", url: `${this.#config.issuer}/oauth/account` },
        footnote: "If it was not you, sign in, remove what you do not recognise, change your password, and tell an administrator of your organization.",
      }),
    });
  }

  /** For passkeys (src/auth/passkeys.ts): the same notice and audit wording. */
  notifyPasskey(to: string, verb: "added" | "removed"): void {
    this.#notify(to, verb === "added" ? "A passkey was added to your account" : "A passkey was removed from your account", "passkey", verb);
  }
}
