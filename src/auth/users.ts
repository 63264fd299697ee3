// Password login for people: argon2id hashes, one generic failure message, and the sign-in
// throttle (failures per account and per address, counted before argon2 runs).
import { argon2Hash, argon2Verify, type Argon2Params } from "../crypto/secrets.ts";
import type { Db } from "../db/client.ts";
import type { FailureThrottle } from "../throttles/failure-throttle.ts";
import { accountKey, type SignInAttempt } from "../throttles/throttles.ts";
import { throttleAddress } from "../throttles/addresses.ts";

export const LOGIN_FAILED = "Incorrect email or password.";

export function hashPassword(password: string, params: Argon2Params): Promise<string> {
  return argon2Hash(password, params);
}

export class PasswordLogin {
  #db: Db;
  #params: Argon2Params;
  #throttle: FailureThrottle<SignInAttempt>;
  #dummyHash: Promise<string> | null = null;

  constructor(db: Db, params: Argon2Params, throttle: FailureThrottle<SignInAttempt>) {
    this.#db = db;
    this.#params = params;
    this.#throttle = throttle;
  }

  /**
   * The person, or null for a wrong email or password. Throws Throttled (before any argon2
   * run) once the account or the address has used up its failures for the window. Unknown
   * emails are counted like known ones, so the throttle does not reveal which exist.
   */
  async verify(
    emailInput: string,
    password: string,
    clientAddress: string,
    { organizationId = null }: { organizationId?: string | null } = {},
  ): Promise<{ id: string; email: string } | null> {
    const email = emailInput.trim().toLowerCase();
    const keys = { address: throttleAddress(clientAddress), subject: email ? accountKey(email) : null };
    const reservation = await this.#throttle.reserve(keys, { email, organizationId });
    const user = email ? await this.#db.user.findUnique({ where: { email } }) : null;
    // Unknown emails still cost one argon2 verification, so timing does not reveal them. The
    // stand-in hash is made on the first sign-in, whoever it is for, not at start-up.
    this.#dummyHash ??= hashPassword("not-a-real-password", this.#params);
    const dummy = await this.#dummyHash;
    const ok = await argon2Verify(user?.passwordHash ?? dummy, password);
    if (user && ok) {
      await reservation.refund();
      return { id: user.id, email: user.email };
    }
    return null;
  }
}
