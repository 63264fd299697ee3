// Browser sessions at the authorization server: an opaque random cookie whose SHA-256 is the
// stored key, so a database dump holds no usable session.
//
// A session has a stage. Only an ACTIVE one signs the person in anywhere (`get`). After the
// password (or an identity provider) a person with a second factor holds a SECOND_FACTOR
// session until a code or a passkey passes, and a person whose organization requires a factor
// they have not added holds an ENROL session that reaches only the pages that add one
// (`getAny`). Ending a session revokes the refresh tokens issued under it (and the access
// tokens issued with them), through the same revocation path as RFC 7009.
import { randomBytes } from "node:crypto";
import type { Db } from "../db/client.ts";
import { sha256 } from "../crypto/random.ts";
import { revokeRefreshTokensWhere, type RevocationNotes } from "./revocation-notes.ts";

export const SESSION_COOKIE = "sk_session";
export const CSRF_COOKIE = "sk_csrf";

export type SessionStage = "ACTIVE" | "SECOND_FACTOR" | "ENROL";

/** How long a session waits for its second factor or its enrolment. */
const PENDING_TTL_SECONDS = 15 * 60;
/** lastSeenAt is written at most this often per session: a sign-in list needs minutes, not milliseconds. */
const TOUCH_EVERY_MS = 60_000;

export interface ActiveSession {
  id: string;
  userId: string;
  email: string;
  name: string | null;
  authTime: Date;
}

export interface AnySession extends ActiveSession {
  stage: SessionStage;
  method: string | null;
}

/** A row of "Sessions" under Security. */
export interface SessionSummary {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  userAgent: string | null;
  address: string | null;
  method: string | null;
}

export interface SessionOrigin {
  userAgent?: string | undefined;
  address?: string | undefined;
  method?: string;
}

export class SessionStore {
  #db: Db;
  #ttlSeconds: number;
  #notes: RevocationNotes;

  constructor(db: Db, ttlSeconds: number, notes: RevocationNotes) {
    this.#db = db;
    this.#ttlSeconds = ttlSeconds;
    this.#notes = notes;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  async create(userId: string, origin: SessionOrigin = {}, stage: SessionStage = "ACTIVE"): Promise<string> {
    return (await this.#insert(userId, origin, stage)).token;
  }

  async #insert(userId: string, origin: SessionOrigin, stage: SessionStage): Promise<{ token: string; id: string }> {
    const token = randomBytes(32).toString("base64url");
    const ttl = stage === "ACTIVE" ? this.#ttlSeconds : Math.min(PENDING_TTL_SECONDS, this.#ttlSeconds);
    const row = await this.#db.session.create({
      data: {
        tokenHash: sha256(token),
        userId,
        stage,
        expiresAt: new Date(Date.now() + ttl * 1000),
        userAgent: origin.userAgent ? origin.userAgent.slice(0, 200) : null,
        address: origin.address ?? null,
        method: origin.method ?? null,
      },
      select: { id: true },
    });
    return { token, id: row.id };
  }

  /** The signed-in person, or null (no cookie, expired, or still waiting for a second factor). */
  async get(token: string | undefined): Promise<ActiveSession | null> {
    const session = await this.getAny(token);
    return session && session.stage === "ACTIVE" ? session : null;
  }

  /** The session at whatever stage it is, for the second-factor and enrolment pages. */
  async getAny(token: string | undefined): Promise<AnySession | null> {
    if (!token) return null;
    const row = await this.#db.session.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
    if (!row || row.expiresAt.getTime() <= Date.now()) return null;
    if (Date.now() - row.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      await this.#db.session.updateMany({ where: { id: row.id }, data: { lastSeenAt: new Date() } }).catch(() => undefined);
    }
    return {
      id: row.id,
      userId: row.userId,
      email: row.user.email,
      name: row.user.name,
      authTime: row.authTime,
      stage: row.stage as SessionStage,
      method: row.method,
    };
  }

  /**
   * A pending session whose second factor passed (or whose factor was just added): ACTIVE from
   * now, for the whole session lifetime, with the sign-in time of this moment.
   */
  async activate(sessionId: string, method: string): Promise<void> {
    const now = new Date();
    await this.#db.session.updateMany({
      where: { id: sessionId, stage: { not: "ACTIVE" } },
      data: { stage: "ACTIVE", method, authTime: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + this.#ttlSeconds * 1000) },
    });
  }

  /** The person's live sessions, newest first (pending ones are not sign-ins yet). */
  async list(userId: string): Promise<SessionSummary[]> {
    return this.#db.session.findMany({
      where: { userId, stage: "ACTIVE", expiresAt: { gt: new Date() } },
      orderBy: { createdAt: "desc" },
      select: { id: true, createdAt: true, lastSeenAt: true, userAgent: true, address: true, method: true },
    });
  }

  /** Ends one of the person's sessions and its refresh tokens; false when it is not theirs. */
  async end(userId: string, sessionId: string): Promise<boolean> {
    return this.#db.$transaction(async (tx) => {
      const ended = await tx.session.deleteMany({ where: { id: sessionId, userId } });
      if (ended.count === 0) return false;
      await revokeRefreshTokensWhere(tx, this.#notes, { sessionId });
      return true;
    });
  }

  /** Sign-out: the session and the refresh tokens issued under it end. */
  async destroy(token: string | undefined): Promise<void> {
    if (!token) return;
    const row = await this.#db.session.findUnique({ where: { tokenHash: sha256(token) }, select: { id: true, userId: true } });
    if (row) await this.end(row.userId, row.id);
  }

  /**
   * A new sign-in in a browser that still holds a session: a fresh session id (no session
   * fixation). When the same person signs in again (prompt=login, a second factor), what the
   * old session issued moves to the new one, so it can still be seen and ended; anyone else's
   * old session is signed out.
   */
  async replace(oldToken: string | undefined, userId: string, origin: SessionOrigin, stage: SessionStage = "ACTIVE"): Promise<string> {
    const old = oldToken ? await this.#db.session.findUnique({ where: { tokenHash: sha256(oldToken) }, select: { id: true, userId: true } }) : null;
    if (old && old.userId !== userId) await this.end(old.userId, old.id);
    const { token, id } = await this.#insert(userId, origin, stage);
    if (old && old.userId === userId) {
      await this.#db.$transaction([
        this.#db.refreshToken.updateMany({ where: { sessionId: old.id }, data: { sessionId: id } }),
        this.#db.session.deleteMany({ where: { id: old.id } }),
      ]);
    }
    return token;
  }
}
