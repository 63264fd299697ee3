// Read-only GraphQL answers are reused while nothing in the principal's organization changed,
// and a change made through any process sharing the database shows at once.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ApplicationsDocument, CreateApplicationDocument, UpdateApplicationDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { graphql } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let other: TestServer;
let admin: Admin;
let neighbour: Admin;
let queries: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ onQuery: (sql) => queries.push(sql) });
  // Processes behind one load balancer share the public issuer.
  other = await startTestServer({ database: server.database, env: { ISSUER: server.url } });
  admin = await bootstrapAdmin(server, "Cached");
  neighbour = await bootstrapAdmin(server, "Neighbour");
});
afterAll(async () => {
  await other?.close();
  await server?.close();
});

const names = async (s: TestServer, as: Admin) =>
  (await graphql(s.url, as.token, ApplicationsDocument, { first: 100 })).data.applications.edges.map((e) => e.node.name).sort();

it("answers a repeated query with one version check instead of the full set of queries", async () => {
  // Cached answers live in 5-second buckets: both requests must fall in one. On a loaded machine
  // a request can take seconds, so try again (up to 5 times) when the pair straddled two buckets.
  const bucket = () => Math.floor(Date.now() / 5000);
  for (let attempt = 0; attempt < 5; attempt++) {
    while (Date.now() % 5000 > 1000) await new Promise((r) => setTimeout(r, 50));
    const start = bucket();
    await names(server, admin);
    queries = [];
    await names(server, admin);
    if (bucket() === start) break;
  }
  // The version check alone (the access token's revocation check is answered from memory for
  // a second after the first request: src/auth/revocations.ts).
  expect(queries.filter((q) => !q.includes("RevokedAccessToken"))).toHaveLength(1);
  expect(queries.some((q) => /COUNT/i.test(q))).toBe(true);
});

it("shows a change made through another process on the very next query", async () => {
  const before = await names(server, admin);
  const created = await graphql(other.url, admin.token, CreateApplicationDocument, {
    input: { name: "Made elsewhere", applicationType: "M2M", organizationId: admin.organizationId },
  });
  if (created.data.createConnectApplication.__typename !== "CreateConnectApplicationSuccess") throw new Error();
  expect(await names(server, admin)).toEqual([...before, "Made elsewhere"].sort());
  await graphql(other.url, admin.token, UpdateApplicationDocument, { input: { id: created.data.createConnectApplication.application.id, name: "Renamed elsewhere" } });
  expect(await names(server, admin)).toContain("Renamed elsewhere");
});

it("never serves one organization's cached answer to another", async () => {
  const mine = await names(server, admin);
  const theirs = await names(server, neighbour);
  expect(theirs).not.toEqual(mine);
  expect(theirs).toEqual(["Neighbour admin"]);
});

it("does not cache mutations", async () => {
  const input = { name: "Twice", applicationType: "M2M" as const, organizationId: admin.organizationId };
  const first = await graphql(server.url, admin.token, CreateApplicationDocument, { input });
  const second = await graphql(server.url, admin.token, CreateApplicationDocument, { input });
  expect(first.data.createConnectApplication.__typename).toBe("CreateConnectApplicationSuccess");
  expect(second.data.createConnectApplication.__typename).toBe("ValidationError");
});
