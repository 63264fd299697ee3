// Secrets and passwords are hashed with argon2id in the server's own process, on libuv's pool.
import argon2 from "argon2";
import { describe, expect, it } from "vitest";
import { argon2Hash, argon2Verify } from "../src/crypto/secrets.ts";

const LOW_COST = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe("argon2id hashing", () => {
  it("returns argon2id hashes with the parameters asked for, which verify the plaintext and nothing else", async () => {
    const hash = await argon2Hash("sk_test_plaintext", LOW_COST);
    expect(hash.startsWith("$argon2id$v=19$m=1024,t=1,p=1$") || hash.startsWith("$argon2id$v=19$m=1024,p=1,t=1$")).toBe(true);
    expect(await argon2.verify(hash, "sk_test_plaintext")).toBe(true);
    expect(await argon2Verify(hash, "sk_test_plaintext")).toBe(true);
    expect(await argon2Verify(hash, "sk_test_other")).toBe(false);
  });

  it("completes every one of a burst of hashes and verifications, each with its own answer", async () => {
    const plaintexts = Array.from({ length: 12 }, (_, i) => `sk_burst_${i}`);
    const hashes = await Promise.all(plaintexts.map((p) => argon2Hash(p, LOW_COST)));
    expect(new Set(hashes).size).toBe(plaintexts.length);
    const checks = await Promise.all(hashes.flatMap((h, i) => [argon2Verify(h, plaintexts[i]!), argon2Verify(h, `${plaintexts[i]}x`)]));
    expect(checks).toEqual(plaintexts.flatMap(() => [true, false]));
  });

  it("answers false, not an error, for a stored value that is not an argon2 hash", async () => {
    expect(await argon2Verify("not-a-hash", "anything")).toBe(false);
  });
});
