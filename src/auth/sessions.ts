// Browser sessions at the authorization server: an opaque random cookie whose SHA-256 is the
// stored key, so a database dump holds no usable session.
import { randomBytes } from "node:crypto";
import type { Db } from "../db/client.ts";
import { sha256 } from "../crypto/random.ts";

export const SESSION_COOKIE = "sk_session";
export const CSRF_COOKIE = "sk_csrf";

export interface ActiveSession {
  id: string;
  userId: string;
  email: string;
  name: string | null;
  authTime: Date;
}

export class SessionStore {
  #db: Db;
  #ttlSeconds: number;

  constructor(db: Db, ttlSeconds: number) {
    this.#db = db;
    this.#ttlSeconds = ttlSeconds;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  async create(userId: string): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await this.#db.session.create({
      data: { tokenHash: sha256(token), userId, expiresAt: new Date(Date.now() + this.#ttlSeconds * 1000) },
    });
    return token;
  }

  async get(token: string | undefined): Promise<ActiveSession | null> {
    if (!token) return null;
    const row = await this.#db.session.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
    if (!row || row.expiresAt.getTime() <= Date.now()) return null;
    return { id: row.id, userId: row.userId, email: row.user.email, name: row.user.name, authTime: row.authTime };
  }

  async destroy(token: string | undefined): Promise<void> {
    if (token) await this.#db.session.deleteMany({ where: { tokenHash: sha256(token) } });
  }
}
