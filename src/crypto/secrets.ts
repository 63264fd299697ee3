// Client-secret format, generation and argon2id hashing.
// A secret is sk_<secret id>_<32 random bytes, base64url>: the id lets verification look up
// exactly one hash instead of trying every active secret of the app.
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { availableParallelism, setPriority } from "node:os";
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
 * Verification runs on libuv's thread pool, so it never blocks the event loop; but several at
 * once would take every core from it. At most (cores - 1) proceed together, so the token
 * endpoint keeps a core during a burst of first requests with new secrets.
 */
const ARGON2_CONCURRENCY = Math.max(1, availableParallelism() - 1);
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= ARGON2_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Hashing (creating secrets and passwords) is not latency-critical: it runs niced, in a child. */
const HASHER_NICENESS = 19;
let hasher: ChildProcess | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (hash: string) => void; reject: (err: Error) => void }>();

function startHasher(): ChildProcess {
  const child = fork(new URL("./argon2-hasher.mjs", import.meta.url), [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [] });
  try {
    setPriority(child.pid!, HASHER_NICENESS);
  } catch {
    // Not permitted here: the hashes still come, only without the lower priority.
  }
  child.on("message", (msg: { id: number; hash?: string; error?: string }) => {
    const waiter = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.hash) waiter?.resolve(msg.hash);
    else waiter?.reject(new Error(`argon2 hashing failed: ${msg.error}`));
  });
  child.on("exit", () => {
    hasher = null;
    for (const w of pending.values()) w.reject(new Error("the argon2 hashing process exited"));
    pending.clear();
  });
  // Idle, it must not keep the server (or a CLI command) alive.
  child.unref();
  child.channel?.unref();
  return child;
}

/** The hashing child's pid while it runs (for tests and diagnostics). */
export function hasherPid(): number | undefined {
  return hasher?.pid;
}

export function argon2Hash(plaintext: string, params: Argon2Params): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    hasher ??= startHasher();
    const id = nextId++;
    pending.set(id, { resolve, reject });
    hasher.channel?.ref();
    hasher.send({ id, plaintext, params }, (err) => {
      if (err) {
        pending.delete(id);
        reject(err);
      }
    });
  }).finally(() => {
    if (pending.size === 0) hasher?.channel?.unref();
  });
}

export async function argon2Verify(hash: string, plaintext: string): Promise<boolean> {
  try {
    return await limited(() => argon2.verify(hash, plaintext));
  } catch {
    return false;
  }
}

