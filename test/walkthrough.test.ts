// The product's first complete path, exactly as the README walks it: bootstrap from the
// command line, an admin token, a new M2M app with a secret and a grant, its token verified
// against JWKS, and the secret revoked.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AddSecretDocument, CreateApplicationDocument, GrantScopesDocument, RevokeSecretDocument } from "./gql/graphql.ts";
import { basic, clientCredentialsToken, graphql, postForm } from "./helpers/http.ts";
import { startTestServer, TEST_ARGON2_ENV, type TestServer } from "./helpers/server.ts";

const CLI = path.resolve(import.meta.dirname, "../bin/scopekeeper.js");
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, DATABASE_URL: server.database.url, NODE_ENV: "test", ...TEST_ARGON2_ENV },
    encoding: "utf8",
  });
}

it("bootstrap, admin token, create, secret, grant, token, verify, revoke", async () => {
  const boot = cli("bootstrap", "--org", "Acme", "--json");
  expect(boot.status, boot.stderr).toBe(0);
  const { organizationId, clientId, clientSecret } = JSON.parse(boot.stdout) as Record<string, string>;
  expect(Object.keys(JSON.parse(boot.stdout))).toEqual(["organizationId", "clientId", "clientSecret"]);
  expect(cli("bootstrap", "--org", "Acme", "--json")).toMatchObject({ status: 1, stderr: expect.stringContaining("already exists") });

  const adminToken = await clientCredentialsToken(server.url, clientId!, clientSecret!, "connect.applications.manage");

  const created = await graphql(server.url, adminToken, CreateApplicationDocument, {
    input: { name: "Knowledge sync", applicationType: "M2M", organizationId: organizationId! },
  });
  if (created.data.createConnectApplication.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
  const app = created.data.createConnectApplication.application;

  const secret = await graphql(server.url, adminToken, AddSecretDocument, { input: { applicationId: app.id, description: "sync" } });
  if (secret.data.addClientSecret.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(secret));
  const { plaintext, clientSecret: secretObject } = secret.data.addClientSecret;

  const granted = await graphql(server.url, adminToken, GrantScopesDocument, { input: { applicationId: app.id, scopes: ["knowledge.portalmgr.read"] } });
  expect(granted.data.grantScopes.__typename).toBe("GrantScopesSuccess");

  const appToken = await clientCredentialsToken(server.url, app.clientId, plaintext, "knowledge.portalmgr.read");
  const { payload } = await jwtVerify(appToken, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
    issuer: server.url,
    audience: `${server.url}/hubs/knowledge`,
    typ: "at+jwt",
  });
  expect(payload).toMatchObject({ sub: app.clientId, client_id: app.clientId, scope: "knowledge.portalmgr.read" });

  const revoked = await graphql(server.url, adminToken, RevokeSecretDocument, { id: secretObject.id });
  expect(revoked.data.revokeClientSecret.__typename).toBe("RevokeClientSecretSuccess");
  const refused = await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "knowledge.portalmgr.read" }, basic(app.clientId, plaintext));
  expect(refused).toMatchObject({ status: 401, body: { error: "invalid_client" } });
});
