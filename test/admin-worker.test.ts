// By default the admin API runs in a worker thread: GraphQL work never touches the token
// endpoint's event loop or its database client, while changes still reach its client view at once.
import { afterAll, beforeAll, expect, it } from "vitest";
import { AddSecretDocument, ApplicationsDocument, CreateApplicationDocument, RevokeSecretDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let admin: Admin;
let mainThreadQueries: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ onQuery: (sql) => mainThreadQueries.push(sql) });
  admin = await bootstrapAdmin(server, "Worker");
});
afterAll(async () => server?.close());

it("runs GraphQL without a single query on the server's own database client", async () => {
  expect(server.config.adminApiWorker).toBe(true);
  mainThreadQueries = [];
  const created = await graphql(server.url, admin.token, CreateApplicationDocument, {
    input: { name: "Off the loop", applicationType: "M2M", organizationId: admin.organizationId, scopes: ["core.users.read"] },
  });
  expect(created.data.createConnectApplication.__typename).toBe("CreateConnectApplicationSuccess");
  expect((await graphql(server.url, admin.token, ApplicationsDocument, { first: 10, organizationId: admin.organizationId })).data.applications.edges.length).toBe(2);
  expect(mainThreadQueries).toEqual([]);
});

it("still refuses a revoked secret at the token endpoint at once", async () => {
  const created = await graphql(server.url, admin.token, CreateApplicationDocument, {
    input: { name: "Revoked at once", applicationType: "M2M", organizationId: admin.organizationId, scopes: ["core.users.read"] },
  });
  if (created.data.createConnectApplication.__typename !== "CreateConnectApplicationSuccess") throw new Error();
  const app = created.data.createConnectApplication.application;
  const secret = await graphql(server.url, admin.token, AddSecretDocument, { input: { applicationId: app.id } });
  if (secret.data.addClientSecret.__typename !== "AddClientSecretSuccess") throw new Error();
  const ask = () => postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "core.users.read" }, basic(app.clientId, secret.data.addClientSecret.__typename === "AddClientSecretSuccess" ? secret.data.addClientSecret.plaintext : ""));
  expect((await ask()).status).toBe(200);
  await graphql(server.url, admin.token, RevokeSecretDocument, { id: secret.data.addClientSecret.clientSecret.id });
  expect((await ask()).status).toBe(401);
});
