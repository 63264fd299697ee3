// The one owner of signing-key material: creates, rotates, publishes, signs and verifies.
// Nothing else in the code base touches a private key.
import { createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import {
  calculateJwkThumbprint,
  compactVerify,
  errors,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
} from "jose";
import type { ChangeFeed } from "../changes/feed.ts";
import type { Db } from "../db/client.ts";
import { decryptPrivateKey, encryptPrivateKey } from "./key-encryption.ts";

export const SIGNING_ALG = "ES256";
/** The least time between two reloads caused by tokens with a kid this process does not know. */
const RELOAD_ON_UNKNOWN_KID_MS = 1000;

const signAsync = promisify(nodeSign);

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: KeyObject;
  privateKey: KeyObject;
  retiredAt: Date | null;
  publishUntil: Date | null;
  createdAt: Date;
}

export interface SigningKeysOptions {
  db: Db;
  encryptionSecret: string | undefined;
  /** A retired key stays published this long: the longest lifetime of anything it signed. */
  publishRetiredForSeconds: number;
  /** A rotation is announced here, so every process signs with the new key at once. */
  changes?: Pick<ChangeFeed, "announce">;
}

export class SigningKeys {
  #opts: SigningKeysOptions;
  #keys: LoadedKey[] = [];
  #active!: LoadedKey;
  #jwks: JSONWebKeySet = { keys: [] };
  #headerCache = new Map<string, string>();
  /** The reload an unknown kid waits for, shared by every request that saw the same kid. */
  #pendingReload: Promise<void> | null = null;
  #lastReloadAt = 0;

  constructor(opts: SigningKeysOptions) {
    this.#opts = opts;
  }

  /** Loads keys, creating the first one when the database has none. */
  async init(): Promise<void> {
    await this.reload();
    if (this.#keys.length === 0) {
      await this.#createKey();
      await this.reload();
    }
  }

  /** Adds a new active key; the previous one keeps being published until its tokens expire. */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const now = new Date();
    const publishUntil = new Date(now.getTime() + this.#opts.publishRetiredForSeconds * 1000);
    const kid = await this.#opts.db.$transaction(async (tx) => {
      const current = await tx.signingKey.findMany({ where: { retiredAt: null } });
      await tx.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: now, publishUntil } });
      const created = await this.#createKey(tx);
      return { created, retired: current.map((k) => k.kid) };
    });
    await this.reload();
    await this.#opts.changes?.announce("signing-key", kid.created);
    return { kid: kid.created, retired: kid.retired };
  }

  async reload(): Promise<void> {
    const startedAt = Date.now();
    const rows = await this.#opts.db.signingKey.findMany({ orderBy: { createdAt: "desc" } });
    const now = Date.now();
    const keys: LoadedKey[] = [];
    for (const row of rows) {
      if (row.retiredAt && row.publishUntil && row.publishUntil.getTime() <= now) continue;
      let pem = row.privateKey;
      if (row.encrypted) {
        if (!this.#opts.encryptionSecret) {
          throw new Error(`signing key ${row.kid} is encrypted but SCOPEKEEPER_KEY_ENCRYPTION_SECRET is not set`);
        }
        pem = decryptPrivateKey(pem, this.#opts.encryptionSecret);
      }
      const privateKey = createPrivateKey(pem);
      keys.push({
        kid: row.kid,
        publicJwk: JSON.parse(row.publicJwk) as JWK,
        publicKey: createPublicKey(privateKey),
        privateKey,
        retiredAt: row.retiredAt,
        publishUntil: row.publishUntil,
        createdAt: row.createdAt,
      });
    }
    this.#keys = keys;
    // Newest unretired key signs; if several processes raced to create one, all are published.
    const active = keys.find((k) => !k.retiredAt) ?? keys[0];
    if (active) this.#active = active;
    this.#jwks = { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: SIGNING_ALG, use: "sig" })) };
    this.#lastReloadAt = Math.max(this.#lastReloadAt, startedAt);
  }

  get activeKid(): string {
    return this.#active.kid;
  }

  jwks(): JSONWebKeySet {
    return this.#jwks;
  }

  /**
   * Signs a compact JWS with the active key. node:crypto's ECDSA is several times cheaper than
   * the WebCrypto path; its callback form runs on libuv's thread pool, so the signature (the
   * largest cost of a token request) uses the second core instead of the event loop. The
   * header is encoded once per (kid, typ).
   */
  async signJwt(payload: JWTPayload, typ: string): Promise<string> {
    const key = this.#active;
    const cacheKey = `${key.kid}\u0000${typ}`;
    let header = this.#headerCache.get(cacheKey);
    if (!header) {
      header = Buffer.from(JSON.stringify({ alg: SIGNING_ALG, typ, kid: key.kid })).toString("base64url");
      this.#headerCache.set(cacheKey, header);
    }
    const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
    const signature = await signAsync("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
    return `${input}.${signature.toString("base64url")}`;
  }

  async verifyJwt(token: string, options: JWTVerifyOptions) {
    return jwtVerify(token, (header) => this.#verificationKey(header.kid), { algorithms: [SIGNING_ALG], ...options });
  }

  /** The payload of a token this server signed, whatever its expiry (e.g. an id_token_hint). */
  async verifySignature(token: string): Promise<JWTPayload> {
    const { payload } = await compactVerify(token, (header) => this.#verificationKey(header.kid), { algorithms: [SIGNING_ALG] });
    return JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
  }

  /**
   * The key for a token's kid, as of now. A key past its publication window is refused at
   * once, not at the next periodic reload. A kid this process has not loaded yet may be a key
   * another process (or `scopekeeper keys rotate`) just created: rather than refuse tokens
   * signed with it until the 30-second reload, reload now, at most once a second, however
   * many requests (or attackers' made-up kids) ask.
   */
  async #verificationKey(kid: string | undefined): Promise<KeyObject> {
    if (typeof kid !== "string") throw new errors.JWKSNoMatchingKey();
    const askedAt = Date.now();
    let key = this.#usableKey(kid);
    // Twice at most: a reload already reading when this request came may predate its key.
    for (let i = 0; i < 2 && !key && !this.#keys.some((k) => k.kid === kid) && this.#lastReloadAt <= askedAt; i++) {
      await this.#reloadSoon();
      key = this.#usableKey(kid);
    }
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key.publicKey;
  }

  /** The change feed's handler: another process rotated to `kid`; load it unless already loaded. */
  async learnOf(kid: string): Promise<void> {
    if (this.#keys.some((k) => k.kid === kid)) return;
    await this.reload();
  }

  /** Whether a token signed with this kid may still be honoured, from what this process has loaded. */
  isUsable(kid: string): boolean {
    return this.#usableKey(kid) !== undefined;
  }

  #usableKey(kid: string): LoadedKey | undefined {
    const key = this.#keys.find((k) => k.kid === kid);
    if (!key) return undefined;
    if (key.retiredAt && key.publishUntil && key.publishUntil.getTime() <= Date.now()) return undefined;
    return key;
  }

  #reloadSoon(): Promise<void> {
    if (!this.#pendingReload) {
      const wait = Math.max(0, this.#lastReloadAt + RELOAD_ON_UNKNOWN_KID_MS - Date.now());
      this.#pendingReload = new Promise<void>((resolve) => setTimeout(resolve, wait))
        .then(() => this.reload())
        .catch(() => undefined)
        .finally(() => {
          this.#pendingReload = null;
        });
    }
    return this.#pendingReload;
  }

  async #createKey(tx: Pick<Db, "signingKey"> = this.#opts.db): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const pem = await exportPKCS8(privateKey);
    const secret = this.#opts.encryptionSecret;
    await tx.signingKey.create({
      data: {
        kid,
        alg: SIGNING_ALG,
        publicJwk: JSON.stringify(publicJwk),
        privateKey: secret ? encryptPrivateKey(pem, secret) : pem,
        encrypted: Boolean(secret),
      },
    });
    return kid;
  }
}
