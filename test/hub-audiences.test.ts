// A deployment sets its own API URLs as the hubs' audiences: SCOPEKEEPER_API_BASE_URL for all
// plugin hubs, SCOPEKEEPER_HUB_AUDIENCE_<HUB_ID> for one. Tokens carry what is configured.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../src/catalog/loader.ts";
import { ConfigError, loadConfig } from "../src/config/index.ts";
import { AddSecretDocument, CreateApplicationDocument, GrantScopesDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { clientCredentialsToken, graphql } from "./helpers/http.ts";
import { startTestServer, TEST_ARGON2_ENV, type TestServer } from "./helpers/server.ts";

const CLI = path.resolve(import.meta.dirname, "../bin/scopekeeper.js");

describe("audiences of a deployment", () => {
  let server: TestServer;
  let admin: Admin;
  beforeAll(async () => {
    server = await startTestServer({ env: { SCOPEKEEPER_API_BASE_URL: "https://api.acme.test/v1", SCOPEKEEPER_HUB_AUDIENCE_CORE: "https://directory.acme.test" } });
    admin = await bootstrapAdmin(server, "Acme");
  });
  afterAll(async () => server?.close());

  async function appToken(scope: string): Promise<string> {
    const created = (await graphql(server.url, admin.token, CreateApplicationDocument, { input: { name: `Sync ${scope}`, applicationType: "M2M", organizationId: admin.organizationId } })).data
      .createConnectApplication;
    if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
    const app = created.application;
    const granted = (await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: app.id, scopes: [scope] } })).data.grantScopes;
    expect(granted.__typename).toBe("GrantScopesSuccess");
    const secret = (await graphql(server.url, admin.token, AddSecretDocument, { input: { applicationId: app.id } })).data.addClientSecret;
    if (secret.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(secret));
    return clientCredentialsToken(server.url, app.clientId, secret.plaintext, scope);
  }

  it("issues tokens for <SCOPEKEEPER_API_BASE_URL>/<hub id>", async () => {
    expect(decodeJwt(await appToken("knowledge.portalmgr.read")).aud).toBe("https://api.acme.test/v1/knowledge");
  });

  it("lets one hub's own setting win over the base URL", async () => {
    expect(decodeJwt(await appToken("core.users.read")).aud).toBe("https://directory.acme.test");
  });

  it("leaves the built-in hub's audience at the issuer", () => {
    expect(server.services.catalog.scope("connect.applications.manage")?.hub.audience).toBe(server.url);
  });
});

describe("audiences without settings", () => {
  it("gives a bundled hub, which declares none, <ISSUER>/hubs/<hub id>, and keeps the audience a plugin declares", async () => {
    const issuer = "https://id.acme.test";
    const shipped = await loadCatalog({ issuer });
    expect(shipped.hubs.map((h) => [h.id, h.audience])).toEqual([
      ["connect", issuer],
      ["conversation", "https://id.acme.test/hubs/conversation"],
      ["core", "https://id.acme.test/hubs/core"],
      ["knowledge", "https://id.acme.test/hubs/knowledge"],
    ]);
    const declared = await loadCatalog({ issuer, pluginsDir: "test/fixtures/plugins/valid" });
    expect(declared.hubs.find((h) => h.id === "alpha")?.audience).toBe("https://api.example.com/alpha");
    // The settings still win over both.
    const configured = await loadCatalog({ issuer, pluginsDir: "test/fixtures/plugins/valid", audiences: { apiBaseUrl: "https://api.acme.test" } });
    expect(configured.hubs.find((h) => h.id === "alpha")?.audience).toBe("https://api.acme.test/alpha");
  });
});

describe("validation at start-up", () => {
  it("refuses a malformed base URL or hub audience with one line naming the variable", () => {
    expect(() => loadConfig({ SCOPEKEEPER_API_BASE_URL: "api.acme.test" })).toThrow(ConfigError);
    expect(() => loadConfig({ SCOPEKEEPER_API_BASE_URL: "https://api.acme.test/" })).toThrow(/SCOPEKEEPER_API_BASE_URL/);
    expect(() => loadConfig({ SCOPEKEEPER_HUB_AUDIENCE_CORE: "core" })).toThrow(/^Invalid configuration: SCOPEKEEPER_HUB_AUDIENCE_CORE must be an absolute/);
  });

  it("refuses a hub audience setting that names no hub, naming the hubs there are", () => {
    const result = spawnSync(process.execPath, [CLI, "catalog", "check"], {
      env: { PATH: process.env.PATH, NODE_ENV: "test", SCOPEKEEPER_HUB_AUDIENCE_KNOWLEGDE: "https://kb.acme.test", ...TEST_ARGON2_ENV },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("SCOPEKEEPER_HUB_AUDIENCE_KNOWLEGDE names no hub (hubs: conversation, core, knowledge)");
  });
});
