import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 128 random bits, URL-safe: client ids carry nothing guessable. */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString("base64url");
}

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("base64url");
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
