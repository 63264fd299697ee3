// Password login for people: argon2id hashes, one generic failure message, and a slowdown on
// repeated failures per email and per client address.
import { LRUCache } from "lru-cache";
import { argon2Hash, argon2Verify, type Argon2Params } from "../crypto/secrets.ts";
import type { Db } from "../db/client.ts";

export const LOGIN_FAILED = "Incorrect email or password.";

export function hashPassword(password: string, params: Argon2Params): Promise<string> {
  return argon2Hash(password, params);
}

export class PasswordLogin {
  #db: Db;
  #params: Argon2Params;
  #dummyHash: Promise<string> | null = null;
  #failures = new LRUCache<string, { count: number; last: number }>({ max: 50_000, ttl: 15 * 60_000 });

  constructor(db: Db, params: Argon2Params) {
    this.#db = db;
    this.#params = params;
  }

  /**
   * Milliseconds the next attempt must wait: an email gets 3 free failures, a client address
   * (possibly shared behind NAT) 20; then the wait doubles from 250 ms up to 8 s.
   */
  delayFor(email: string, address: string): number {
    const wait = (count: number, free: number) => (count < free ? 0 : Math.min(8000, 250 * 2 ** (count - free)));
    return Math.max(wait(this.#failures.get(`email:${email}`)?.count ?? 0, 3), wait(this.#failures.get(`ip:${address}`)?.count ?? 0, 20));
  }

  async verify(emailInput: string, password: string, clientAddress: string): Promise<{ id: string; email: string } | null> {
    const email = emailInput.trim().toLowerCase();
    const keys = [`email:${email}`, `ip:${clientAddress}`];
    const delay = this.delayFor(email, clientAddress);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const user = email ? await this.#db.user.findUnique({ where: { email } }) : null;
    // Unknown emails still cost one argon2 verification, so timing does not reveal them. The
    // stand-in hash is made on the first sign-in, whoever it is for, not at start-up.
    this.#dummyHash ??= hashPassword("not-a-real-password", this.#params);
    const dummy = await this.#dummyHash;
    const ok = await argon2Verify(user?.passwordHash ?? dummy, password);
    if (user && ok) {
      for (const k of keys) this.#failures.delete(k);
      return { id: user.id, email: user.email };
    }
    for (const k of keys) {
      const f = this.#failures.get(k);
      this.#failures.set(k, { count: (f?.count ?? 0) + 1, last: Date.now() });
    }
    return null;
  }
}
