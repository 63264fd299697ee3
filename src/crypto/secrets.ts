// Client-secret format, generation and argon2id hashing.
// A secret is sk_<secret id>_<32 random bytes, base64url>: the id lets verification look up
// exactly one hash instead of trying every active secret of the app.
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import argon2 from "argon2";

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

const SECRET_PATTERN = /^sk_([A-Za-z0-9]+)_([A-Za-z0-9_-]{43})$/;

export function formatSecret(secretId: string): string {
  if (secretId.includes("_")) throw new Error("secret ids must not contain '_'");
  return `sk_${secretId}_${randomBytes(32).toString("base64url")}`;
}

/** The id inside a presented secret, or null when it is not one of ours. */
export function parseSecretId(presented: string): string | null {
  return SECRET_PATTERN.exec(presented)?.[1] ?? null;
}

export function secretHint(plaintext: string): string {
  return plaintext.slice(-4);
}

/**
 * Hashing and verification run on libuv's thread pool, so they never block the event loop; but
 * several at once would take every core from it. At most (cores - 1) proceed together, so the
 * token endpoint keeps a core during a burst of new secrets or of first requests with them.
 * Verification is on a client's request path, hashing (creating a secret or a password) is an
 * admin's: a waiting verification goes ahead of waiting hashes.
 */
const ARGON2_CONCURRENCY = Math.max(1, availableParallelism() - 1);
let running = 0;
const waitingVerifications: (() => void)[] = [];
const waitingHashes: (() => void)[] = [];

/** How busy argon2 is right now, for the metrics: runs on the thread pool, and those waiting for a slot. */
export function argon2Load(): { running: number; waitingVerifications: number; waitingHashes: number } {
  return { running, waitingVerifications: waitingVerifications.length, waitingHashes: waitingHashes.length };
}

async function limited<T>(queue: (() => void)[], work: () => Promise<T>): Promise<T> {
  if (running >= ARGON2_CONCURRENCY) await new Promise<void>((resolve) => queue.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
    const next = waitingVerifications.shift() ?? waitingHashes.shift();
    if (next) next();
    else running--;
  }
}

export function argon2Hash(plaintext: string, params: Argon2Params): Promise<string> {
  return limited(waitingHashes, () => argon2.hash(plaintext, { type: argon2.argon2id, ...params }));
}

export async function argon2Verify(hash: string, plaintext: string): Promise<boolean> {
  try {
    return await limited(waitingVerifications, () => argon2.verify(hash, plaintext));
  } catch {
    return false;
  }
}
