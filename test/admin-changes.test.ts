// What an admin changes through GraphQL takes effect at once: at the token endpoint, in the
// next list answer, and on another server process sharing the database.
import { afterAll, beforeAll, expect, it } from "vitest";
import { AddSecretDocument, ApplicationsDocument, CreateApplicationDocument, RevokeSecretDocument, UpdateApplicationDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let other: TestServer;
let admin: Admin;
let neighbour: Admin;

beforeAll(async () => {
  server = await startTestServer();
  // Processes behind one load balancer share the public issuer.
  other = await startTestServer({ database: server.database, env: { ISSUER: server.url } });
  admin = await bootstrapAdmin(server, "Changes");
  neighbour = await bootstrapAdmin(server, "Neighbour");
});
afterAll(async () => {
  await other?.close();
  await server?.close();
});

const names = async (s: TestServer, as: Admin) =>
  (await graphql(s.url, as.token, ApplicationsDocument, { first: 100 })).data.applications.edges.map((e) => e.node.name).sort();

async function createApp(name: string) {
  const created = await graphql(server.url, admin.token, CreateApplicationDocument, {
    input: { name, applicationType: "M2M", organizationId: admin.organizationId, scopes: ["core.users.read"] },
  });
  if (created.data.createConnectApplication.__typename !== "CreateConnectApplicationSuccess") throw new Error("not created");
  return created.data.createConnectApplication.application;
}

it("refuses a secret at the token endpoint as soon as it is revoked through GraphQL", async () => {
  const app = await createApp("Revoked at once");
  const added = await graphql(server.url, admin.token, AddSecretDocument, { input: { applicationId: app.id } });
  if (added.data.addClientSecret.__typename !== "AddClientSecretSuccess") throw new Error("no secret");
  const { plaintext, clientSecret } = added.data.addClientSecret;
  const ask = () => postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "core.users.read" }, basic(app.clientId, plaintext));
  expect((await ask()).status).toBe(200);
  const revoked = await graphql(server.url, admin.token, RevokeSecretDocument, { id: clientSecret.id });
  expect(revoked.data.revokeClientSecret.__typename).toBe("RevokeClientSecretSuccess");
  const refused = await ask();
  expect(refused.status).toBe(401);
  expect(refused.body.error).toBe("invalid_client");
});

it("lists an application created or renamed a moment ago, on this process and on another", async () => {
  const before = await names(server, admin);
  const app = await createApp("Listed at once");
  expect(await names(server, admin)).toEqual([...before, "Listed at once"].sort());
  const renamed = await graphql(other.url, admin.token, UpdateApplicationDocument, { input: { id: app.id, name: "Renamed elsewhere" } });
  expect(renamed.data.updateConnectApplication.__typename).toBe("UpdateConnectApplicationSuccess");
  expect(await names(server, admin)).toEqual([...before, "Renamed elsewhere"].sort());
  expect(await names(other, admin)).toEqual([...before, "Renamed elsewhere"].sort());
});

it("answers each organization with its own applications only", async () => {
  expect(await names(server, neighbour)).toEqual(["Neighbour admin"]);
  expect(await names(server, admin)).not.toContain("Neighbour admin");
});

it("takes a GraphQL request body as sent, variables included, and refuses malformed JSON with a 400", async () => {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({ query: "query Q($n: Int) { applications(first: $n) { edges { node { name } } } }", variables: { n: 1 } }),
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { data: { applications: { edges: unknown[] } } }).data.applications.edges).toHaveLength(1);
  const broken = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
    body: "{ not json",
  });
  expect(broken.status).toBe(400);
});
