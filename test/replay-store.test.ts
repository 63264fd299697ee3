// The replay store of a single SQLite process (src/auth/replay-store.ts): memory answers, the
// UsedJti table is written in batches and read only while an earlier process's rows may live.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseReplayStore, SingleProcessReplayStore, storedKeyToKey } from "../src/auth/replay-store.ts";
import { createDb, type Db } from "../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/database.ts";

let database: TestDatabase;
let db: Db;
let disconnect: () => Promise<void>;
const inAMinute = () => new Date(Date.now() + 60_000);
/** How many of `keys` the table holds, in either stored form. */
const written = async (keys: string[]) => (await db.usedJti.findMany({ select: { key: true } })).filter((row) => keys.includes(storedKeyToKey(row.key))).length;

beforeAll(async () => {
  database = await createTestDatabase({ provider: "sqlite" });
  const handle = await createDb(database.url);
  db = handle.db;
  disconnect = () => handle.db.$disconnect();
});
afterAll(async () => {
  await disconnect?.();
  await database?.drop();
});

describe("SingleProcessReplayStore", () => {
  it("is what a SQLite server uses; PostgreSQL keeps the shared table store", async () => {
    const { openReplayStore } = await import("../src/auth/replay-store.ts");
    const sqlite = await openReplayStore({ databaseUrl: "file:./x.db", redis: { url: undefined } } as never, db);
    expect(sqlite).toBeInstanceOf(SingleProcessReplayStore);
    const pg = await openReplayStore({ databaseUrl: "postgresql://postgres@127.0.0.1:5432/x", redis: { url: undefined } } as never, db);
    expect(pg).toBeInstanceOf(DatabaseReplayStore);
  });

  it("refuses a key an earlier process on the same file recorded, and writes nothing per use", async () => {
    await new DatabaseReplayStore(db).firstUse("dpop:a:earlier", inAMinute());
    const store = new SingleProcessReplayStore(db, { flushMs: 10_000 });
    expect(await store.firstUse("dpop:a:earlier", inAMinute())).toBe(false);
    expect(await store.firstUse("dpop:a:fresh", inAMinute())).toBe(true);
    expect(await store.firstUse("dpop:a:fresh", inAMinute())).toBe(false);
    // Concurrent first uses (the first one reads the table): exactly one is first.
    const raced = await Promise.all([0, 1, 2].map(() => store.firstUse("dpop:a:raced", inAMinute())));
    expect(raced.filter(Boolean)).toHaveLength(1);
    // No write per use: the batch goes out on the next flush (or close).
    expect(await written(["dpop:a:fresh", "dpop:a:raced"])).toBe(0);
    await store.close();
    expect(await written(["dpop:a:fresh", "dpop:a:raced"])).toBe(2);
  });

  it("answers from memory and writes the uses in one batch that a restart then honours", async () => {
    const store = new SingleProcessReplayStore(db, { flushMs: 10_000 });
    const keys = Array.from({ length: 50 }, (_, i) => `pkjwt:c:batch-${i}`);
    for (const key of keys) expect(await store.firstUse(key, inAMinute())).toBe(true);
    // Concurrent uses of one key: exactly one is first.
    const raced = await Promise.all([0, 1, 2].map(() => store.firstUse("pkjwt:c:raced", inAMinute())));
    expect(raced.filter(Boolean)).toHaveLength(1);
    for (const key of keys) expect(await store.firstUse(key, inAMinute())).toBe(false);
    expect(await written(keys)).toBe(0);
    await store.close();
    expect(await written([...keys, "pkjwt:c:raced"])).toBe(51);
    // The next process refuses them.
    const restarted = new SingleProcessReplayStore(db);
    expect(await restarted.firstUse(keys[7]!, inAMinute())).toBe(false);
    await restarted.close();
  });

  it("refuses every use while the table cannot be read, rather than letting a replay through", async () => {
    const { ReplayStoreUnavailable } = await import("../src/auth/replay-store.ts");
    const broken = new SingleProcessReplayStore({ usedJti: { findMany: () => Promise.reject(new Error("down")) } } as never);
    await expect(broken.firstUse("k", inAMinute())).rejects.toBeInstanceOf(ReplayStoreUnavailable);
    await expect(broken.firstUse("k", inAMinute())).rejects.toBeInstanceOf(ReplayStoreUnavailable);
  });

  it("accepts a key again once it expired, and a restart honours the new use over the expired row", async () => {
    await new DatabaseReplayStore(db).firstUse("pkjwt:c:old", new Date(Date.now() - 1000));
    const store = new SingleProcessReplayStore(db, { flushMs: 10_000 });
    expect(await store.firstUse("pkjwt:c:short", new Date(Date.now() + 30))).toBe(true);
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.firstUse("pkjwt:c:short", inAMinute())).toBe(true);
    expect(await store.firstUse("pkjwt:c:old", inAMinute())).toBe(true);
    await store.close();
    const restarted = new SingleProcessReplayStore(db);
    expect(await restarted.firstUse("pkjwt:c:old", inAMinute())).toBe(false);
    expect(await restarted.firstUse("pkjwt:c:short", inAMinute())).toBe(false);
    await restarted.close();
  });

  it("appends: every flush's rows sort after the previous flush's, whatever their keys", async () => {
    // Random keys made SQLite touch a random index page per row (17 µs a row against 4 µs).
    const store = new SingleProcessReplayStore(db, { flushMs: 10_000 });
    const before = new Set((await db.usedJti.findMany({ select: { key: true } })).map((row) => row.key));
    const flushes = [["z:1", "a:1", "m:1"], ["a:2", "z:2"], ["0:3"]];
    for (const keys of flushes) {
      for (const key of keys) await store.firstUse(key, inAMinute());
      await store.flush();
    }
    await store.close();
    const stored = (await db.usedJti.findMany({ select: { key: true } })).map((row) => row.key).filter((key) => !before.has(key));
    expect(stored.map(storedKeyToKey).sort()).toEqual(flushes.flat().sort());
    const flushOf = (key: string) => flushes.findIndex((keys) => keys.includes(storedKeyToKey(key)));
    const inIndexOrder = [...stored].sort();
    expect(inIndexOrder.map(flushOf)).toEqual([...inIndexOrder.map(flushOf)].sort());
  });

  it("writes expiry times Prisma reads back and compares as its own (the janitor deletes by them)", async () => {
    const store = new SingleProcessReplayStore(db, { flushMs: 10_000 });
    const soon = new Date(Date.now() + 40);
    const later = new Date(Date.now() + 3_600_000 + 123);
    await store.firstUse("pkjwt:t:soon", soon);
    await store.firstUse("pkjwt:t:later", later);
    await store.close();
    const rows = (await db.usedJti.findMany()).filter((row) => storedKeyToKey(row.key).startsWith("pkjwt:t:"));
    expect(rows.map((row) => row.expiresAt.getTime()).sort()).toEqual([soon.getTime(), later.getTime()]);
    await new Promise((r) => setTimeout(r, 60));
    await db.usedJti.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    const left = (await db.usedJti.findMany()).map((row) => storedKeyToKey(row.key)).filter((key) => key.startsWith("pkjwt:t:"));
    expect(left).toEqual(["pkjwt:t:later"]);
  });
});
