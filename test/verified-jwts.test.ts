// The cache of verified JWTs re-checks what changes with time on every hit (src/auth/verified-jwts.ts).
import { afterEach, expect, it, vi } from "vitest";
import { VerifiedJwtCache } from "../src/auth/verified-jwts.ts";

afterEach(() => void vi.useRealTimers());

it("forgets a token at its expiry, honouring the clock tolerance asked for", () => {
  vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") });
  const now = Math.floor(Date.now() / 1000);
  const cache = new VerifiedJwtCache({ maxAgeMs: 300_000 });
  cache.set("t", { sub: "a", exp: now + 100 });
  expect(cache.get("t")?.sub).toBe("a");
  vi.setSystemTime(new Date((now + 101) * 1000));
  expect(cache.get("t", 5)?.sub).toBe("a");
  expect(cache.get("t")).toBeUndefined();
});

it("keeps no token without an expiry or already expired, and none not yet valid", () => {
  const now = Math.floor(Date.now() / 1000);
  const cache = new VerifiedJwtCache({ maxAgeMs: 300_000 });
  cache.set("no-exp", { sub: "a" });
  cache.set("expired", { sub: "a", exp: now - 1 });
  cache.set("later", { sub: "a", exp: now + 100, nbf: now + 50 });
  expect(cache.get("no-exp")).toBeUndefined();
  expect(cache.get("expired")).toBeUndefined();
  expect(cache.get("later")).toBeUndefined();
});
