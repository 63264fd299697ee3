// The argon2id hashing child (src/crypto/argon2-hasher.mjs): correct hashes, at a low CPU priority.
import { readFileSync } from "node:fs";
import argon2 from "argon2";
import { describe, expect, it } from "vitest";
import { argon2Hash, hasherPid } from "../src/crypto/secrets.ts";

const LOW_COST = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** A process's nice value, from /proc/<pid>/stat (proc(5): field 19). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces: field 3 is first.
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19 - 3]);
}

describe("argon2 hashing child", () => {
  it("returns argon2id hashes that verify, with the parameters asked for", async () => {
    const hash = await argon2Hash("sk_test_plaintext", LOW_COST);
    expect(hash.startsWith("$argon2id$v=19$m=1024,p=1,t=1$")).toBe(true);
    expect(await argon2.verify(hash, "sk_test_plaintext")).toBe(true);
    expect(await argon2.verify(hash, "sk_test_other")).toBe(false);
  });

  it.runIf(process.platform === "linux")("hashes at nice 19, so token issuance keeps the CPU it needs", async () => {
    await argon2Hash("sk_test_priority", LOW_COST);
    const pid = hasherPid();
    expect(pid).toBeTypeOf("number");
    expect(niceOf(pid!)).toBe(19);
    // and the process that asked is untouched
    expect(niceOf(process.pid)).toBe(0);
  });
});
