// Passkeys (WebAuthn) through SimpleWebAuthn's server library: it checks the attestation and
// assertion (challenge, origin, relying party id, signature, user verification, counter); this
// module keeps the challenges and the credentials. The relying party id is the issuer's host,
// the expected origin the issuer's origin (never the Host header).
//
// A challenge is handed to one browser (its id in an HttpOnly cookie), lives 5 minutes and is
// consumed by the first answer, right or wrong. User verification is required: a passkey is
// something held plus a PIN or a biometric, so it signs in alone and counts as a second factor.
import { randomBytes } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { Config } from "../config/index.ts";
import type { Db } from "../db/client.ts";
import { publicId } from "../ids.ts";
import { PRODUCT_NAME } from "../mail/templates.ts";
import { auditPersonFactor, type SecondFactors } from "./second-factors.ts";

export const WEBAUTHN_COOKIE = "sk_webauthn";
const CHALLENGE_TTL_MS = 5 * 60_000;
const NAME_MAX = 60;

type Purpose = "REGISTER" | "AUTHENTICATE";

export class PasskeyError extends Error {
  override name = "PasskeyError";
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

export class Passkeys {
  readonly #db: Db;
  readonly #rpId: string;
  readonly #origin: string;
  readonly #factors: SecondFactors;

  constructor(opts: { db: Db; config: Pick<Config, "issuer">; factors: SecondFactors }) {
    this.#db = opts.db;
    const issuer = new URL(opts.config.issuer);
    this.#rpId = issuer.hostname;
    this.#origin = issuer.origin;
    this.#factors = opts.factors;
  }

  get rpId(): string {
    return this.#rpId;
  }

  /** "Add passkey": options for navigator.credentials.create, and the challenge's id for the cookie. */
  async registrationOptions(user: { id: string; email: string; name: string | null }): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; challengeId: string }> {
    const existing = await this.#db.passkey.findMany({ where: { userId: user.id }, select: { credentialId: true, transports: true } });
    const options = await generateRegistrationOptions({
      rpName: PRODUCT_NAME,
      rpID: this.#rpId,
      userName: user.email,
      userDisplayName: user.name ?? user.email,
      // The WebAuthn user handle: the public user id, so a passkey sign-in names its person.
      userID: new TextEncoder().encode(publicId("User", user.id)),
      attestationType: "none",
      excludeCredentials: existing.map((c) => ({ id: c.credentialId, ...(c.transports ? { transports: c.transports.split(",") as AuthenticatorTransport[] } : {}) })),
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
    });
    return { options, challengeId: await this.#remember("REGISTER", options.challenge, user.id) };
  }

  /** The browser's answer to "Add passkey": the credential is stored, audited and noticed. */
  async register(user: { id: string; email: string }, challengeId: string | undefined, response: RegistrationResponseJSON, nameInput: string | undefined): Promise<{ id: string; name: string }> {
    const challenge = await this.#consume(challengeId, "REGISTER", user.id);
    let verification;
    try {
      verification = await verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: this.#origin, expectedRPID: this.#rpId, requireUserVerification: true });
    } catch (err) {
      throw new PasskeyError(`The passkey could not be added: ${err instanceof Error ? err.message : "its answer was not valid"}.`);
    }
    if (!verification.verified || !verification.registrationInfo) throw new PasskeyError("The passkey could not be added: its answer did not verify.");
    const { credential } = verification.registrationInfo;
    const count = await this.#db.passkey.count({ where: { userId: user.id } });
    const name = (nameInput ?? "").trim().slice(0, NAME_MAX) || `Passkey ${count + 1}`;
    const row = await this.#db.$transaction(async (tx) => {
      const created = await tx.passkey.create({
        data: {
          userId: user.id,
          credentialId: credential.id,
          publicKey: b64url(credential.publicKey),
          counter: credential.counter,
          transports: credential.transports?.length ? credential.transports.join(",") : null,
          name,
        },
      });
      await auditPersonFactor(tx, user.id, "user.second_factor_added", { factor: "passkey", name });
      return created;
    });
    this.#factors.notifyPasskey(user.email, "added");
    return { id: row.id, name: row.name };
  }

  /**
   * Options for navigator.credentials.get. Without a person (the sign-in page) any of this
   * site's passkeys may answer (discoverable credentials); for a second factor, only theirs.
   */
  async authenticationOptions(userId: string | null): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; challengeId: string }> {
    const mine = userId ? await this.#db.passkey.findMany({ where: { userId }, select: { credentialId: true, transports: true } }) : [];
    const options = await generateAuthenticationOptions({
      rpID: this.#rpId,
      userVerification: "required",
      allowCredentials: mine.map((c) => ({ id: c.credentialId, ...(c.transports ? { transports: c.transports.split(",") as AuthenticatorTransport[] } : {}) })),
    });
    return { options, challengeId: await this.#remember("AUTHENTICATE", options.challenge, userId) };
  }

  /** The person whose passkey answered the challenge; throws PasskeyError otherwise. */
  async authenticate(challengeId: string | undefined, response: AuthenticationResponseJSON, expectedUserId: string | null): Promise<{ userId: string }> {
    const challenge = await this.#consume(challengeId, "AUTHENTICATE", expectedUserId);
    const row = typeof response?.id === "string" ? await this.#db.passkey.findUnique({ where: { credentialId: response.id } }) : null;
    if (!row || (expectedUserId && row.userId !== expectedUserId)) throw new PasskeyError("This passkey is not known here. Sign in with your password, then add it under Security.");
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.#origin,
        expectedRPID: this.#rpId,
        requireUserVerification: true,
        credential: {
          id: row.credentialId,
          publicKey: new Uint8Array(Buffer.from(row.publicKey, "base64url")),
          counter: row.counter,
          ...(row.transports ? { transports: row.transports.split(",") as AuthenticatorTransport[] } : {}),
        },
      });
    } catch (err) {
      throw new PasskeyError(`The passkey did not sign you in: ${err instanceof Error ? err.message : "its answer was not valid"}.`);
    }
    if (!verification.verified) throw new PasskeyError("The passkey did not sign you in: its answer did not verify.");
    // A counter that does not move forward (a cloned authenticator) fails verification above;
    // a replayed answer fails on its challenge, which was consumed.
    await this.#db.passkey.update({ where: { id: row.id }, data: { counter: verification.authenticationInfo.newCounter, lastUsedAt: new Date() } });
    return { userId: row.userId };
  }

  async remove(user: { id: string; email: string }, passkeyId: string): Promise<boolean> {
    const removed = await this.#db.$transaction(async (tx) => {
      const row = await tx.passkey.findFirst({ where: { id: passkeyId, userId: user.id }, select: { id: true, name: true } });
      if (!row) return false;
      await tx.passkey.delete({ where: { id: row.id } });
      await auditPersonFactor(tx, user.id, "user.second_factor_removed", { factor: "passkey", name: row.name });
      return true;
    });
    if (removed) this.#factors.notifyPasskey(user.email, "removed");
    return removed;
  }

  async #remember(purpose: Purpose, challenge: string, userId: string | null): Promise<string> {
    const id = randomBytes(24).toString("base64url");
    await this.#db.webAuthnChallenge.create({ data: { id, challenge, purpose, userId, expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS) } });
    return id;
  }

  /** The challenge behind the cookie, used once; PasskeyError when missing, expired or not this person's. */
  async #consume(challengeId: string | undefined, purpose: Purpose, userId: string | null): Promise<string> {
    const row = challengeId ? await this.#db.webAuthnChallenge.findUnique({ where: { id: challengeId } }) : null;
    // Deleting decides who uses it: of two answers to one challenge, one deletes the row.
    const taken = row ? (await this.#db.webAuthnChallenge.deleteMany({ where: { id: row.id } })).count === 1 : false;
    if (!row || !taken || row.purpose !== purpose || row.expiresAt.getTime() <= Date.now() || (userId !== null && row.userId !== userId)) {
      throw new PasskeyError("This passkey request has expired. Please try again.");
    }
    return row.challenge;
  }
}
