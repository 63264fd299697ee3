// People in an organization: invitations, roles, removal, password-reset links, and the apps a
// person has connected. The rules live here once; GraphQL (src/graphql/members.ts,
// src/graphql/viewer-consents.ts) and the account pages (src/ui/account-routes.ts) call them.
import { randomBytes } from "node:crypto";
import type { Config } from "../config/index.ts";
import type { Db, Prisma } from "../db/client.ts";
import { sha256 } from "../crypto/random.ts";
import { argon2Verify } from "../crypto/secrets.ts";
import { hashPassword } from "../auth/users.ts";
import type { Principal } from "../access/principal.ts";
import { mayActOnWholeAccount, requireOrganizationAdmin, requireOrganizationCreator, requireWholeAccount } from "../access/policy.ts";
import type { MembershipDirectory } from "../access/memberships.ts";
import { publicId } from "../ids.ts";
import { revokeRefreshTokensWhere, type RevocationNotes } from "../auth/revocation-notes.ts";
import { audit } from "../audit/record.ts";
import { assertValid, ForbiddenError, NotFoundError, ValidationError } from "../errors.ts";
import type { Mailer } from "../mail/mailer.ts";
import { invitationMail, passwordResetMail } from "../mail/templates.ts";
import { LIMITS, type FieldError } from "./rules.ts";
import { textErrors } from "./text.ts";
import { EMAIL_MAX, EMAIL_PATTERN } from "./limits.ts";

type Tx = Prisma.TransactionClient;
export type Role = "ADMIN" | "MEMBER";
export const ROLES: readonly Role[] = ["ADMIN", "MEMBER"];

export const INVITATION_TTL_MS = 7 * 24 * 3600_000;
export const PASSWORD_RESET_TTL_MS = 24 * 3600_000;
export const PASSWORD_MIN_LENGTH = 10;
const EMAIL = EMAIL_PATTERN;

/** An email address an invitation accepts (already trimmed and lower-cased). */
export function isInvitableEmail(email: string): boolean {
  return EMAIL.test(email) && email.length <= EMAIL_MAX;
}

/** An organization's name (already trimmed): 1 to LIMITS.nameMax characters. */
export function isOrganizationNameLength(name: string): boolean {
  return name.length > 0 && name.length <= LIMITS.nameMax;
}

export type LinkPurpose = "INVITE" | "PASSWORD_RESET";

export interface OneTimeLink {
  id: string;
  purpose: LinkPurpose;
  organizationId: string;
  organizationName: string;
  email: string;
  role: Role;
  /** Whether a person with this email already has an account (then they confirm with their password). */
  accountExists: boolean;
}

export class MemberService {
  #db: Db;
  #config: Config;
  /** Called after any membership change (it announces it), so cached roles are dropped at once everywhere. */
  #onMembershipChange: (userId: string) => void | Promise<void>;
  #revocations: RevocationNotes;
  #memberships: Pick<MembershipDirectory, "get">;
  /** Scopes flagged adminConsentRequired: they end with the ADMIN role (oauth.admin_consent). */
  #adminConsentScopes: ReadonlySet<string>;
  /** Invitations and reset links are mailed too when SMTP_URL is set (and still returned). */
  #mailer: Mailer | null;

  constructor(deps: {
    db: Db;
    config: Config;
    revocations: RevocationNotes;
    memberships: Pick<MembershipDirectory, "get">;
    adminConsentScopes: ReadonlySet<string>;
    mailer?: Mailer;
    onMembershipChange?: (userId: string) => void | Promise<void>;
  }) {
    this.#db = deps.db;
    this.#config = deps.config;
    this.#revocations = deps.revocations;
    this.#memberships = deps.memberships;
    this.#adminConsentScopes = deps.adminConsentScopes;
    this.#mailer = deps.mailer ?? null;
    this.#onMembershipChange = deps.onMembershipChange ?? (() => {});
  }


  async invite(principal: Principal, organizationId: string, input: { email: string; role: string }): Promise<{ invitationUrl: string }> {
    requireOrganizationAdmin(principal, organizationId);
    const email = input.email.trim().toLowerCase();
    const errors: FieldError[] = textErrors({ email });
    if (errors.length === 0 && !isInvitableEmail(email)) errors.push({ path: ["email"], code: "email_invalid", message: "is not an email address" });
    if (!ROLES.includes(input.role as Role)) errors.push({ path: ["role"], code: "role_invalid", message: "must be ADMIN or MEMBER" });
    assertValid(errors);
    const already = await this.#db.membership.findFirst({ where: { organizationId, user: { email } }, select: { id: true } });
    if (already) throw new ValidationError([{ path: ["email"], code: "member_exists", message: "already belongs to a member of this organization" }]);
    return this.#invitation(principal, organizationId, email, input.role);
  }

  /**
   * A new organization and an invitation for its first ADMIN (an operator ADMIN's action; the
   * CLI's `bootstrap` makes organizations with an admin application instead).
   */
  async createOrganization(
    principal: Principal,
    input: { name: string; adminEmail: string },
  ): Promise<{ organization: { id: string; name: string; isOperator: boolean; createdAt: Date }; invitationUrl: string }> {
    requireOrganizationCreator(principal);
    const name = input.name.trim();
    const email = input.adminEmail.trim().toLowerCase();
    const errors: FieldError[] = textErrors({ name, adminEmail: email });
    if (!isOrganizationNameLength(name)) errors.push({ path: ["name"], code: "name_length", message: `must be 1-${LIMITS.nameMax} characters` });
    if (!isInvitableEmail(email)) errors.push({ path: ["adminEmail"], code: "email_invalid", message: "is not an email address" });
    assertValid(errors);
    if (await this.#db.organization.findUnique({ where: { name }, select: { id: true } })) {
      throw new ValidationError([{ path: ["name"], code: "name_taken", message: "is the name of another organization" }]);
    }
    let organization;
    try {
      organization = await this.#db.$transaction(async (tx) => {
        const created = await tx.organization.create({ data: { name, isOperator: false } });
        await audit(tx, principal, created.id, "organization.created", created.id, { name, isOperator: false });
        return created;
      });
    } catch (err) {
      // Two operators, one name, at once: the unique index decides.
      if ((err as { code?: string }).code === "P2002") throw new ValidationError([{ path: ["name"], code: "name_taken", message: "is the name of another organization" }]);
      throw err;
    }
    const { invitationUrl } = await this.#invitation(principal, organization.id, email, "ADMIN");
    return { organization, invitationUrl };
  }

  /**
   * An organization's own settings, by its ADMINs (organization.administer): requireMfa asks
   * its people for a second factor from their next sign-in (account.second_factor).
   */
  async updateOrganization(
    principal: Principal,
    organizationId: string,
    input: { requireMfa?: boolean | null },
  ): Promise<{ id: string; name: string; isOperator: boolean; requireMfa: boolean; createdAt: Date }> {
    requireOrganizationAdmin(principal, organizationId);
    return this.#db.$transaction(async (tx) => {
      const before = await tx.organization.findUnique({ where: { id: organizationId } });
      if (!before) throw new NotFoundError("organization");
      if (input.requireMfa === undefined || input.requireMfa === null || input.requireMfa === before.requireMfa) return before;
      const updated = await tx.organization.update({ where: { id: organizationId }, data: { requireMfa: input.requireMfa } });
      await audit(tx, principal, organizationId, "organization.updated", organizationId, { requireMfa: input.requireMfa });
      return updated;
    });
  }

  async #invitation(principal: Principal, organizationId: string, email: string, role: string): Promise<{ invitationUrl: string }> {
    const token = randomBytes(32).toString("base64url");
    const organization = await this.#db.$transaction(async (tx) => {
      const created = await tx.invitation.create({
        data: {
          tokenHash: sha256(token),
          purpose: "INVITE",
          organizationId,
          email,
          role,
          createdBy: principal.subject,
          expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
        },
      });
      // The email is who was invited, not a secret; the token never appears.
      await audit(tx, principal, organizationId, "invitation.created", created.id, { email, role });
      return tx.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { name: true } });
    });
    const invitationUrl = `${this.#config.issuer}/oauth/invitation?token=${token}`;
    // Not awaited: the ADMIN gets the link whatever the mail server does (failures are logged).
    void this.#mailer?.send({
      to: email,
      ...invitationMail({ organizationName: organization.name, role, url: invitationUrl, validDays: INVITATION_TTL_MS / 86_400_000 }),
    });
    return { invitationUrl };
  }

  async createPasswordResetLink(principal: Principal, organizationId: string, userId: string): Promise<{ resetUrl: string }> {
    requireOrganizationAdmin(principal, organizationId);
    const membership = await this.#db.membership.findUnique({
      where: { organizationId_userId: { organizationId, userId } },
      include: { user: { select: { email: true } }, organization: { select: { name: true } } },
    });
    if (!membership) throw new NotFoundError("member");
    // A new password opens every organization the person belongs to, not just this one.
    requireWholeAccount(principal, await this.#memberships.get(userId));
    const resetUrl = await this.#createResetLink(principal, { organizationId, userId, email: membership.user.email, role: membership.role });
    void this.#mailer?.send({ to: membership.user.email, ...passwordResetMail({ organizationName: membership.organization.name, url: resetUrl, validHours: PASSWORD_RESET_TTL_MS / 3_600_000 }) });
    return { resetUrl };
  }

  /**
   * "Forgot password?": mails a reset link to the person with this email, if there is one who
   * belongs to an organization, and does nothing otherwise. The caller answers the same either
   * way, and does not wait for the mail (how long it takes would tell).
   */
  async requestPasswordReset(emailInput: string): Promise<void> {
    const email = emailInput.trim().toLowerCase();
    if (!this.#mailer?.enabled || !EMAIL.test(email) || email.length > EMAIL_MAX) return;
    const user = await this.#db.user.findUnique({
      where: { email },
      select: { id: true, email: true, memberships: { orderBy: { createdAt: "asc" }, take: 1, include: { organization: { select: { name: true } } } } },
    });
    const membership = user?.memberships[0];
    if (!user || !membership) return;
    const resetUrl = await this.#createResetLink(
      { kind: "USER", subject: publicId("User", user.id) },
      { organizationId: membership.organizationId, userId: user.id, email: user.email, role: membership.role },
    );
    await this.#mailer.send({ to: user.email, ...passwordResetMail({ organizationName: membership.organization.name, url: resetUrl, validHours: PASSWORD_RESET_TTL_MS / 3_600_000 }) });
  }

  async #createResetLink(
    actor: Pick<Principal, "kind" | "subject">,
    target: { organizationId: string; userId: string; email: string; role: string },
  ): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await this.#db.$transaction(async (tx) => {
      const created = await tx.invitation.create({
        data: {
          tokenHash: sha256(token),
          purpose: "PASSWORD_RESET",
          organizationId: target.organizationId,
          email: target.email,
          role: target.role,
          createdBy: actor.subject,
          expiresAt: new Date(Date.now() + PASSWORD_RESET_TTL_MS),
        },
      });
      await audit(tx, actor, target.organizationId, "invitation.created", created.id, { purpose: "PASSWORD_RESET", userId: publicId("User", target.userId) });
    });
    return `${this.#config.issuer}/oauth/reset?token=${token}`;
  }

  async updateRole(principal: Principal, organizationId: string, userId: string, role: string): Promise<void> {
    requireOrganizationAdmin(principal, organizationId);
    if (!ROLES.includes(role as Role)) throw new ValidationError([{ path: ["role"], code: "role_invalid", message: "must be ADMIN or MEMBER" }]);
    await this.#db.$transaction(async (tx) => {
      const membership = await this.#membership(tx, organizationId, userId);
      if (membership.role === role) return;
      if (membership.role === "ADMIN") await this.#assertNotLastAdmin(tx, organizationId, "role", "demoted");
      await tx.membership.update({ where: { id: membership.id }, data: { role } });
      const revoked = membership.role === "ADMIN" ? await this.#endAdminConsent(tx, organizationId, userId) : 0;
      await audit(tx, principal, organizationId, "membership.role_changed", userId, { from: membership.role, to: role, refreshTokensRevoked: revoked });
    });
    await this.#onMembershipChange(userId);
  }

  /**
   * Removing a member ends their refresh tokens for the organization's apps (and what admin
   * consent gave them through first-party apps). Their sign-in sessions are their whole
   * account's: ended only when the caller may act on it (account.whole).
   */
  async remove(principal: Principal, organizationId: string, userId: string): Promise<void> {
    requireOrganizationAdmin(principal, organizationId);
    const person = await this.#memberships.get(userId);
    const wholeAccount = mayActOnWholeAccount(principal, person);
    await this.#db.$transaction(async (tx) => {
      const membership = await this.#membership(tx, organizationId, userId);
      if (membership.role === "ADMIN") await this.#assertNotLastAdmin(tx, organizationId, "userId", "removed");
      await tx.membership.delete({ where: { id: membership.id } });
      if (wholeAccount) await tx.session.deleteMany({ where: { userId } });
      const revoked =
        (await revokeRefreshTokensWhere(tx, this.#revocations, { userId, application: { organizationId } })) +
        (membership.role === "ADMIN" ? await this.#endAdminConsent(tx, organizationId, userId) : 0);
      await audit(tx, principal, organizationId, "membership.removed", userId, { role: membership.role, refreshTokensRevoked: revoked });
    });
    await this.#onMembershipChange(userId);
  }

  /** What a one-time link is for, or null when it is unknown, used or expired (all read the same). */
  async findLink(token: string, purpose: LinkPurpose): Promise<OneTimeLink | null> {
    if (!token || token.length > 128) return null;
    const row = await this.#db.invitation.findUnique({ where: { tokenHash: sha256(token) }, include: { organization: { select: { name: true } } } });
    if (!row || row.purpose !== purpose || row.usedAt || row.expiresAt.getTime() <= Date.now()) return null;
    const user = await this.#db.user.findUnique({ where: { email: row.email }, select: { id: true } });
    return {
      id: row.id,
      purpose,
      organizationId: row.organizationId,
      organizationName: row.organization.name,
      email: row.email,
      role: row.role as Role,
      accountExists: user !== null,
    };
  }

  /**
   * Uses a link once. INVITE: a new person sets a password (and name); an existing one proves it
   * with their current password; either way they join with the invited role. PASSWORD_RESET:
   * sets the member's new password and ends their sessions.
   */
  async redeem(
    token: string,
    purpose: LinkPurpose,
    form: { password: string; confirm: string; name?: string },
  ): Promise<{ ok: true; email: string } | { ok: false; errors: FieldError[]; gone?: boolean }> {
    const link = await this.findLink(token, purpose);
    if (!link) return { ok: false, gone: true, errors: [{ path: ["token"], code: "link_expired", message: "This link has expired or was already used. Ask your administrator for a new one." }] };
    const existing = await this.#db.user.findUnique({ where: { email: link.email } });
    const setsPassword = purpose === "PASSWORD_RESET" || !existing;
    if (setsPassword) {
      const errors: FieldError[] = [];
      if (form.password.length < PASSWORD_MIN_LENGTH) errors.push({ path: ["password"], code: "password_too_short", message: `Use at least ${PASSWORD_MIN_LENGTH} characters.` });
      else if (form.password.length > 200) errors.push({ path: ["password"], code: "password_too_long", message: "Use at most 200 characters." });
      if (form.password !== form.confirm) errors.push({ path: ["confirm"], code: "password_mismatch", message: "The two passwords differ." });
      if (errors.length) return { ok: false, errors };
    } else if (!(await argon2Verify(existing!.passwordHash, form.password))) {
      return { ok: false, errors: [{ path: ["password"], code: "password_wrong", message: "That is not the password of this account." }] };
    }
    const passwordHash = setsPassword ? await hashPassword(form.password, this.#config.argon2) : null;
    const done = await this.#db.$transaction(async (tx) => {
      // Marking it used first, conditionally, makes a link single-use even under a race.
      const claimed = await tx.invitation.updateMany({ where: { id: link.id, usedAt: null }, data: { usedAt: new Date() } });
      if (claimed.count !== 1) return null;
      if (purpose === "PASSWORD_RESET") {
        const user = await tx.user.update({ where: { email: link.email }, data: { passwordHash: passwordHash! } });
        await tx.session.deleteMany({ where: { userId: user.id } });
        await audit(tx, { kind: "USER", subject: publicId("User", user.id) }, link.organizationId, "membership.password_reset", user.id, { invitationId: publicId("Invitation", link.id) });
        return user.id;
      }
      const user = existing
        ? existing
        : await tx.user.create({ data: { email: link.email, passwordHash: passwordHash!, name: form.name?.trim() || null } });
      await tx.membership.upsert({
        where: { organizationId_userId: { organizationId: link.organizationId, userId: user.id } },
        create: { organizationId: link.organizationId, userId: user.id, role: link.role },
        update: {},
      });
      await audit(tx, { kind: "USER", subject: publicId("User", user.id) }, link.organizationId, "membership.joined", user.id, { role: link.role, invitationId: publicId("Invitation", link.id) });
      return user.id;
    });
    if (!done) return { ok: false, gone: true, errors: [{ path: ["token"], code: "link_used", message: "This link was already used. Ask your administrator for a new one." }] };
    await this.#onMembershipChange(done);
    return { ok: true, email: link.email };
  }

  /** The apps a person has consented to, newest first. */
  async connectedApplications(principal: Principal) {
    if (principal.kind !== "USER" || !principal.userId) return [];
    return this.#db.consent.findMany({
      where: { userId: principal.userId },
      include: { application: { select: { id: true, clientId: true, name: true, logoUri: true, organizationId: true } } },
      orderBy: { updatedAt: "desc" },
    });
  }

  /** Forgets a person's consent to an app and ends that app's refresh tokens for them. */
  async revokeConsent(principal: Principal, applicationId: string): Promise<void> {
    if (principal.kind !== "USER" || !principal.userId) throw new ForbiddenError("a person's access token");
    const userId = principal.userId;
    await this.#db.$transaction(async (tx) => {
      const consent = await tx.consent.findUnique({
        where: { userId_applicationId: { userId, applicationId } },
        include: { application: { select: { organizationId: true, clientId: true } } },
      });
      if (!consent) throw new NotFoundError("connected application");
      await tx.consent.delete({ where: { id: consent.id } });
      const revoked = await revokeRefreshTokensWhere(tx, this.#revocations, { userId, applicationId });
      await audit(tx, principal, consent.application.organizationId, "consent.revoked", applicationId, {
        userId: publicId("User", userId),
        clientId: consent.application.clientId,
        refreshTokensRevoked: revoked,
      });
    });
  }

  async #membership(tx: Tx, organizationId: string, userId: string) {
    const membership = await tx.membership.findUnique({ where: { organizationId_userId: { organizationId, userId } } });
    if (!membership) throw new NotFoundError("member");
    return membership;
  }

  async #assertNotLastAdmin(tx: Tx, organizationId: string, field: string, verb: string): Promise<void> {
    const admins = await tx.membership.count({ where: { organizationId, role: "ADMIN" } });
    if (admins <= 1) {
      throw new ValidationError([{ path: [field], code: "last_admin", message: `is the last ADMIN of this organization and cannot be ${verb}: make another member ADMIN first` }]);
    }
  }

  /**
   * oauth.admin_consent ends with the ADMIN role: the person's refresh tokens (and the access
   * tokens issued with them) that carry an adminConsentRequired scope, for this organization's
   * apps, and for first-party apps when they are ADMIN nowhere else any more.
   */
  async #endAdminConsent(tx: Tx, organizationId: string, userId: string): Promise<number> {
    if (this.#adminConsentScopes.size === 0) return 0;
    const stillAdminElsewhere = (await tx.membership.count({ where: { userId, role: "ADMIN", organizationId: { not: organizationId } } })) > 0;
    const apps: Prisma.ConnectApplicationWhereInput[] = [{ organizationId }];
    if (!stillAdminElsewhere) apps.push({ organizationId: null, isFirstParty: true });
    const live = await tx.refreshToken.findMany({ where: { userId, revokedAt: null, application: { OR: apps } }, select: { id: true, scopes: true } });
    const carrying = live.filter((t) => t.scopes.split(" ").some((s) => this.#adminConsentScopes.has(s))).map((t) => t.id);
    if (carrying.length === 0) return 0;
    return revokeRefreshTokensWhere(tx, this.#revocations, { id: { in: carrying } });
  }
}
