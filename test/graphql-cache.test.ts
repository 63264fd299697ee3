// The admin API's response cache (src/graphql/response-cache.ts, Yoga's response-cache plugin):
// a repeated read-only query is answered without touching the database, per principal; a change
// made through the same process shows on the very next query, whether it came through GraphQL
// or through REST; another process's change shows at once on PostgreSQL (the change feed) and
// otherwise within GRAPHQL_RESPONSE_CACHE_TTL_MS.
import { spawn, type ChildProcess } from "node:child_process";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ApplicationsDocument, CreateApplicationDocument, UpdateApplicationDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { POSTGRES_URL } from "./helpers/database.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { freePort, startTestServer, TEST_ARGON2_ENV, type TestServer } from "./helpers/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

let server: TestServer;
let shortLived: TestServer;
let uncached: TestServer;
let elsewhere: { url: string; child: ChildProcess };
let admin: Admin;
let neighbour: Admin;
let queries: string[] = [];

/** Statements other than the access token's revocation check (answered from memory after the first). */
const registryQueries = (qs: string[]) => qs.filter((q) => !q.includes("RevokedAccessToken"));

beforeAll(async () => {
  // A long TTL here, so that only a change, never the clock, can refresh an answer.
  server = await startTestServer({ onQuery: (sql) => queries.push(sql), env: { GRAPHQL_RESPONSE_CACHE_TTL_MS: "60000" } });
  // Processes behind one load balancer share the public issuer.
  // Without the change feed: the TTL alone bounds what it shows of other processes' changes.
  shortLived = await startTestServer({ database: server.database, env: { ISSUER: server.url, GRAPHQL_RESPONSE_CACHE_TTL_MS: "1000", CHANGE_FEED: "off" } });
  uncached = await startTestServer({ database: server.database, env: { ISSUER: server.url, GRAPHQL_RESPONSE_CACHE_TTL_MS: "0" } });
  // Another process for real: the servers above share one process, and so its count of changes.
  elsewhere = await startCompiledServer({ DATABASE_URL: server.database.url, ISSUER: server.url });
  admin = await bootstrapAdmin(server, "Cached");
  neighbour = await bootstrapAdmin(server, "Neighbour");
});
afterAll(async () => {
  elsewhere?.child.kill("SIGKILL");
  await uncached?.close();
  await shortLived?.close();
  await server?.close();
});

async function startCompiledServer(extra: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const env = { PATH: process.env.PATH ?? "", NODE_ENV: "test", LOG_LEVEL: "silent", HOST: "127.0.0.1", PORT: String(port), ...TEST_ARGON2_ENV, ...extra };
  const child = spawn(process.execPath, [path.join(ROOT, "bin/scopekeeper.js"), "serve"], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if (child.exitCode !== null) break;
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return { url, child };
  }
  child.kill("SIGKILL");
  throw new Error(`the server did not become ready: ${stderr}`);
}

/** Where a server listens: with ISSUER set to another server's URL, `url` names that one. */
const at = (s: TestServer | { url: string; child: ChildProcess }) =>
  "app" in s ? { url: `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}` } : s;

const names = async (s: { url: string }, as: Admin | string) =>
  (await graphql(s.url, typeof as === "string" ? as : as.token, ApplicationsDocument, { first: 100 })).data.applications.edges.map((e) => e.node.name).sort();

const create = async (s: { url: string }, name: string) => {
  const created = await graphql(s.url, admin.token, CreateApplicationDocument, {
    input: { name, applicationType: "M2M", organizationId: admin.organizationId },
  });
  if (created.data.createConnectApplication.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
  return created.data.createConnectApplication.application;
};

it("answers a repeated query without a database statement, and with the same answer", async () => {
  // The first request is only remembered; the second, a repeat, stores its answer.
  const first = await names(server, admin);
  expect(await names(server, admin)).toEqual(first);
  queries = [];
  expect(await names(server, admin)).toEqual(first);
  expect(registryQueries(queries)).toEqual([]);
});

it("computes every answer afresh with GRAPHQL_RESPONSE_CACHE_TTL_MS=0: another process's change shows at once", async () => {
  const before = await names(at(uncached), admin);
  await create(elsewhere, "Made elsewhere, read uncached");
  expect(await names(at(uncached), admin)).toEqual([...before, "Made elsewhere, read uncached"].sort());
});

it("shows a change made through GraphQL in the same process on the very next query", async () => {
  for (let i = 0; i < 2; i++) expect(await names(server, admin)).not.toContain("Made here"); // now cached
  const app = await create(server, "Made here");
  expect(await names(server, admin)).toContain("Made here");
  await graphql(server.url, admin.token, UpdateApplicationDocument, { input: { id: app.id, name: "Renamed here" } });
  expect(await names(server, admin)).toContain("Renamed here");
});

it("shows a change made through REST in the same process on the very next query (an app registered at /oauth/register)", async () => {
  const token = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({
      query: `mutation($i: CreateRegistrationTokenInput!) { createRegistrationToken(input: $i) { __typename ... on CreateRegistrationTokenSuccess { plaintext } } }`,
      variables: { i: { organizationId: admin.organizationId } },
    }),
  }).then((r) => r.json() as Promise<{ data: { createRegistrationToken: { plaintext: string } } }>);
  for (let i = 0; i < 2; i++) expect(await names(server, admin)).not.toContain("Registered over REST"); // now cached
  const registered = await fetch(`${server.url}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token.data.createRegistrationToken.plaintext}` },
    body: JSON.stringify({ client_name: "Registered over REST", grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_basic" }),
  });
  expect(registered.status).toBe(201);
  expect(await names(server, admin)).toContain("Registered over REST");
});

it("shows a change made through another process within the TTL without the change feed, and at once with it on PostgreSQL", async () => {
  await names(at(shortLived), admin);
  const before = await names(at(shortLived), admin);
  await names(server, admin);
  const cachedBefore = await names(server, admin);
  const started = Date.now();
  await create(elsewhere, "Made elsewhere");
  let seen = await names(at(shortLived), admin);
  while (!seen.includes("Made elsewhere") && Date.now() < started + 1000 + 2000) { // the TTL, plus room for a loaded machine
    await new Promise((r) => setTimeout(r, 100));
    seen = await names(at(shortLived), admin);
  }
  expect(seen).toEqual([...before, "Made elsewhere"].sort());
  // On PostgreSQL the change feed told the 60-second server (its answers end with any change);
  // on SQLite, one process, nothing else announces changes: it still answers from memory.
  if (POSTGRES_URL) expect(await names(server, admin)).toEqual([...cachedBefore, "Made elsewhere"].sort());
  else expect(await names(server, admin)).toEqual(cachedBefore);
});

it("never serves one organization's cached answer to another", async () => {
  const mine = await names(server, admin);
  await names(server, admin);
  await names(server, neighbour);
  const theirs = await names(server, neighbour); // a repeat: looked up, under the neighbour's key
  expect(theirs).not.toEqual(mine);
  expect(theirs).toEqual(["Neighbour admin"]);
});

it("refuses a revoked token even when its answer is cached", async () => {
  const reader = await bootstrapAdmin(server, "Revoked reader");
  for (let i = 0; i < 2; i++) expect(await names(server, reader)).toEqual(["Revoked reader admin"]);
  const revoked = await postForm(`${server.url}/oauth/revoke`, { token: reader.token, token_type_hint: "access_token" }, basic(reader.clientId, reader.clientSecret));
  expect(revoked.status).toBe(200);
  const res = await graphql(server.url, reader.token, ApplicationsDocument, { first: 100 });
  expect(res.status).toBe(401);
  expect(res.data).toBeUndefined();
});

it("does not cache mutations", async () => {
  const input = { name: "Twice", applicationType: "M2M" as const, organizationId: admin.organizationId };
  const first = await graphql(server.url, admin.token, CreateApplicationDocument, { input });
  const second = await graphql(server.url, admin.token, CreateApplicationDocument, { input });
  expect(first.data.createConnectApplication.__typename).toBe("CreateConnectApplicationSuccess");
  expect(second.data.createConnectApplication.__typename).toBe("ValidationError");
});
