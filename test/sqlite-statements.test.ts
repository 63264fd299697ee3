// The SQLite client keeps compiled statements (src/db/sqlite-statements.ts), and reusing a
// statement changes nothing a caller can see: parameters, results, constraint errors and
// rolled-back transactions behave as with a fresh one. (That a repeated query is compiled only
// once is a performance matter: bench/statement-counts.ts counts it.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/database.ts";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase({ provider: "sqlite" });
  db = (await createDb(database.url)).db;
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe("compiled statements on SQLite", () => {
  it("binds each call's own parameters to a repeated query", async () => {
    const names = ["Alpha", "Beta", "Gamma"];
    for (const name of names) await db.organization.create({ data: { name } });
    for (let i = 0; i < 30; i++) {
      const name = names[i % 3]!;
      const found = await db.organization.findFirst({ where: { name } });
      expect(found?.name).toBe(name);
    }
    expect(await db.organization.findFirst({ where: { name: "Nobody" } })).toBeNull();
  });

  it("still reports a unique violation and keeps nothing of a rolled-back transaction", async () => {
    const org = await db.organization.create({ data: { name: "Owner" } });
    const app = (clientId: string) => ({ data: { clientId, name: clientId, applicationType: "M2M", organizationId: org.id } });
    await db.connectApplication.create(app("first-client"));
    await expect(db.connectApplication.create(app("first-client"))).rejects.toMatchObject({ code: "P2002" });
    await expect(
      db.$transaction(async (tx) => {
        await tx.connectApplication.create(app("rolled-back"));
        await tx.connectApplication.create(app("first-client"));
      }),
    ).rejects.toMatchObject({ code: "P2002" });
    // The same statements once more, after the failures: nothing half-bound is left behind.
    await db.connectApplication.create(app("second-client"));
    const ids = (await db.connectApplication.findMany({ where: { organizationId: org.id }, orderBy: { clientId: "asc" } })).map((a) => a.clientId);
    expect(ids).toEqual(["first-client", "second-client"]);
  });
});
