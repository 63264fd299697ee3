// A hub folder (or a module in SCOPEKEEPER_PLUGINS) is all it takes: it appears in the
// GraphQL catalog, and its scopes can be granted and put into tokens, with no other change.
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CreateApplicationDocument, ScopeCatalogDocument, ScopeDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { graphql } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const FIXTURES = path.resolve(import.meta.dirname, "fixtures");
let server: TestServer;
let admin: Admin;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      SCOPEKEEPER_PLUGINS_DIR: path.join(FIXTURES, "plugins/valid"),
      SCOPEKEEPER_PLUGINS: path.join(FIXTURES, "modules/ledger.ts"),
    },
  });
  admin = await bootstrapAdmin(server, "Plugged");
});
afterAll(async () => server?.close());

it("serves hubs from a plugins folder and from SCOPEKEEPER_PLUGINS in scopeCatalog and scope(name:)", async () => {
  const res = await graphql(server.url, admin.token, ScopeCatalogDocument, {});
  expect(res.data.scopeCatalog.map((h) => h.id)).toEqual(["connect", "alpha", "beta", "ledger"]);
  const scope = await graphql(server.url, admin.token, ScopeDocument, { name: "alpha.items.read" });
  expect(scope.data.scope).toMatchObject({ hub: { id: "alpha", audience: "https://api.example.com/alpha" }, consent: "Read your items" });
});

it("grants a plugin's scope and issues a token for its audience", async () => {
  const created = await graphql(server.url, admin.token, CreateApplicationDocument, {
    input: { name: "Alpha reader", applicationType: "M2M", organizationId: admin.organizationId, scopes: ["alpha.items.read"] },
  });
  expect(created.data.createConnectApplication).toMatchObject({
    __typename: "CreateConnectApplicationSuccess",
    application: { scopeGrants: [{ kind: "APPLICATION", scope: { name: "alpha.items.read", hub: { id: "alpha" } } }] },
  });
});
