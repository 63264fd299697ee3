// The registration rules of createConnectApplication, updateConnectApplication and
// deleteConnectApplication, over real HTTP with the typed operations from codegen.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApplicationDocument,
  AuditEventsDocument,
  CreateApplicationDocument,
  DeleteApplicationDocument,
  UpdateApplicationDocument,
  type CreateConnectApplicationInput,
} from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { graphql } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let admin: Admin;
let other: Admin;

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Acme");
  other = await bootstrapAdmin(server, "Globex");
});
afterAll(async () => server?.close());

const web = (overrides: Partial<CreateConnectApplicationInput> = {}): CreateConnectApplicationInput => ({
  name: `Web ${Math.random().toString(36).slice(2)}`,
  applicationType: "OAUTH",
  isFirstParty: false,
  organizationId: admin.organizationId,
  redirectUris: [{ uri: "https://app.example.com/callback" }],
  ...overrides,
});

async function create(input: CreateConnectApplicationInput, as: Admin = admin) {
  const res = await graphql(server.url, as.token, CreateApplicationDocument, { input });
  expect(res.errors).toBeUndefined();
  return res.data.createConnectApplication;
}

/** The rule is named by its stable code; messages are for people and may be reworded. */
async function expectFieldError(input: CreateConnectApplicationInput, path: string[], code: string) {
  const result = await create(input);
  expect(result).toMatchObject({ __typename: "ValidationError", code: "validation_failed" });
  if (result.__typename !== "ValidationError") return;
  const at = result.fieldErrors.filter((e) => JSON.stringify(e.path) === JSON.stringify(path));
  expect(at.map((e) => e.code), `errors: ${JSON.stringify(result.fieldErrors)}`).toContain(code);
}

async function created(input: CreateConnectApplicationInput, as: Admin = admin) {
  const result = await create(input, as);
  if (result.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(result));
  return result.application;
}

describe("createConnectApplication", () => {
  it("registers a confidential WEB app with a generated, URL-safe, unguessable clientId", async () => {
    const a = await created(web({ name: "Portal", description: "Our portal" }));
    const b = await created(web());
    expect(a).toMatchObject({
      name: "Portal",
      description: "Our portal",
      applicationType: "OAUTH",
      platform: "WEB",
      confidential: true,
      usesPkce: false,
      isFirstParty: false,
      visibility: "PRIVATE",
      redirectUris: [{ uri: "https://app.example.com/callback", default: true }],
      organization: { id: admin.organizationId, name: "Acme" },
      tokenExchange: { enabled: false, accessTokenTtlSeconds: 3600 },
      clientSecrets: [],
    });
    expect(a.clientId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(a.clientId).not.toBe(b.clientId);
    expect(a.clientId).not.toContain(a.id);
  });

  it("registers an M2M app with initial APPLICATION grants", async () => {
    const app = await created({
      name: "Sync job",
      applicationType: "M2M",
      organizationId: admin.organizationId,
      scopes: ["knowledge.portalmgr.read"],
    });
    expect(app).toMatchObject({ applicationType: "M2M", platform: null, confidential: true, redirectUris: [] });
    expect(app.scopeGrants).toEqual([
      { kind: "APPLICATION", scope: { name: "knowledge.portalmgr.read", description: expect.any(String), hub: { id: "knowledge" } } },
    ]);
  });

  it("makes SPA and NATIVE apps public clients with PKCE forced on", async () => {
    const spa = await created(web({ platform: "SPA" }));
    expect(spa).toMatchObject({ platform: "SPA", confidential: false, usesPkce: true });
    await expectFieldError(web({ platform: "SPA", usesPkce: false }), ["usesPkce"], "pkce_required");
    await expectFieldError(web({ platform: "NATIVE", usesPkce: false }), ["usesPkce"], "pkce_required");
  });

  it("checks name length and uniqueness within the organization only", async () => {
    await expectFieldError(web({ name: "" }), ["name"], "name_length");
    await expectFieldError(web({ name: "   " }), ["name"], "name_length");
    await expectFieldError(web({ name: "x".repeat(101) }), ["name"], "name_length");
    await created(web({ name: "x".repeat(100) }));
    await created(web({ name: "Shared name" }));
    await expectFieldError(web({ name: "Shared name" }), ["name"], "name_taken");
    await created(web({ name: "Shared name", organizationId: other.organizationId }), other);
  });

  it("requires isFirstParty for OAUTH apps and organizationId when not first-party", async () => {
    const { isFirstParty: _omit, ...noFirstParty } = web();
    await expectFieldError(noFirstParty, ["isFirstParty"], "is_first_party_required");
    // The message says what to choose, not only that something is missing.
    const refused = await create(noFirstParty);
    expect(refused.__typename === "ValidationError" && refused.fieldErrors.find((e) => e.path[0] === "isFirstParty")?.message).toBe(
      "is required for OAUTH applications: false for an application of your organization, true only for the operator's own applications",
    );
    await expectFieldError(web({ organizationId: null }), ["organizationId"], "organization_required");
  });

  it("requires organizationId for M2M apps and refuses redirect URIs, platform and PKCE on them", async () => {
    await expectFieldError({ name: "M", applicationType: "M2M" }, ["organizationId"], "organization_required");
    const m2m = { name: "M", applicationType: "M2M" as const, organizationId: admin.organizationId };
    await expectFieldError({ ...m2m, redirectUris: [{ uri: "https://a.example.com/cb" }] }, ["redirectUris"], "m2m_no_redirect_uris");
    await expectFieldError({ ...m2m, platform: "WEB" }, ["platform"], "m2m_no_platform");
    await expectFieldError({ ...m2m, usesPkce: true }, ["usesPkce"], "m2m_no_pkce");
    await expectFieldError({ ...m2m, onBehalfOfEnabled: true }, ["onBehalfOfEnabled"], "on_behalf_of_web_only");
  });

  it("refuses another organization's id as if it did not exist", async () => {
    await expectFieldError(web({ organizationId: other.organizationId }), ["organizationId"], "organization_not_found");
    await expectFieldError(web({ organizationId: "bm90LWFuLWlk" }), ["organizationId"], "organization_not_found");
  });

  it("applies the redirect URI rules with the offending index in the path", async () => {
    const cases: [string, string, string][] = [
      ["/relative", "WEB", "redirect_uri_not_absolute"],
      ["https://a.example.com/cb#frag", "WEB", "redirect_uri_fragment"],
      ["https://*.example.com/cb", "WEB", "redirect_uri_wildcard"],
      ["https://user:pw@a.example.com/cb", "WEB", "redirect_uri_userinfo"],
      [`https://a.example.com/${"x".repeat(2000)}`, "WEB", "redirect_uri_too_long"],
      ["http://a.example.com/cb", "WEB", "redirect_uri_https_required"],
      ["http://127.0.0.1:8080/cb", "WEB", "redirect_uri_https_required"],
      ["http://localhost:8080/cb", "NATIVE", "redirect_uri_loopback_required"],
      ["com.example.app:/cb", "SPA", "redirect_uri_https_required"],
      ["myapp:/cb", "NATIVE", "redirect_uri_scheme_not_allowed"],
    ];
    for (const [uri, platform, code] of cases) {
      await expectFieldError(
        web({ platform: platform as "WEB", redirectUris: [{ uri: "https://ok.example.com/cb" }, { uri }] }),
        ["redirectUris", "1", "uri"],
        code,
      );
    }
  });

  it("allows loopback http with any port and private-use schemes for NATIVE apps", async () => {
    const app = await created(
      web({
        platform: "NATIVE",
        redirectUris: [{ uri: "http://127.0.0.1:51234/cb" }, { uri: "http://[::1]:9/cb", default: true }, { uri: "com.example.app:/oauth2redirect" }],
      }),
    );
    expect(app.redirectUris).toEqual([
      { uri: "http://127.0.0.1:51234/cb", default: false },
      { uri: "http://[::1]:9/cb", default: true },
      { uri: "com.example.app:/oauth2redirect", default: false },
    ]);
  });

  it("needs 1-20 distinct redirect URIs with exactly one default", async () => {
    await expectFieldError(web({ redirectUris: [] }), ["redirectUris"], "redirect_uris_count");
    await expectFieldError(web({ redirectUris: undefined }), ["redirectUris"], "redirect_uris_count");
    const many = Array.from({ length: 21 }, (_, i) => ({ uri: `https://a.example.com/cb${i}` }));
    await expectFieldError(web({ redirectUris: many }), ["redirectUris"], "redirect_uris_count");
    await created(web({ redirectUris: many.slice(0, 20) }));
    await expectFieldError(
      web({ redirectUris: [{ uri: "https://a.example.com/cb" }, { uri: "https://a.example.com/cb" }] }),
      ["redirectUris", "1", "uri"],
      "redirect_uri_duplicate",
    );
    await expectFieldError(
      web({ redirectUris: [{ uri: "https://a.example.com/1", default: true }, { uri: "https://a.example.com/2", default: true }] }),
      ["redirectUris"],
      "redirect_uri_default_count",
    );
  });

  it("checks post-logout redirect URIs with the same rules", async () => {
    await expectFieldError(web({ postLogoutRedirectUris: ["https://a.example.com/bye", "http://a.example.com/bye"] }), ["postLogoutRedirectUris", "1"], "redirect_uri_https_required");
    const app = await created(web({ postLogoutRedirectUris: ["https://a.example.com/bye"] }));
    expect(app.postLogoutRedirectUris).toEqual(["https://a.example.com/bye"]);
  });

  it("requires https for the logo, terms of service and privacy policy", async () => {
    await expectFieldError(web({ logoUri: "http://a.example.com/logo.png" }), ["logoUri"], "link_uri_https_required");
    await expectFieldError(web({ termsOfServiceUri: "javascript:alert(1)" }), ["termsOfServiceUri"], "link_uri_https_required");
    await expectFieldError(web({ privacyPolicyUri: "not a url" }), ["privacyPolicyUri"], "link_uri_whitespace");
    const app = await created(
      web({ logoUri: "https://a.example.com/logo.png", termsOfServiceUri: "https://a.example.com/tos", privacyPolicyUri: "https://a.example.com/privacy" }),
    );
    expect(app).toMatchObject({ logoUri: "https://a.example.com/logo.png", termsOfServiceUri: "https://a.example.com/tos" });
  });

  it("checks clientCode format and global uniqueness", async () => {
    for (const code of ["ab", "-abc", "ABC", "a_b_c", "x".repeat(65)]) await expectFieldError(web({ clientCode: code }), ["clientCode"], "client_code_format");
    await created(web({ clientCode: "acme-portal" }));
    const res = await graphql(server.url, other.token, CreateApplicationDocument, {
      input: web({ clientCode: "acme-portal", organizationId: other.organizationId }),
    });
    expect(res.data.createConnectApplication).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["clientCode"], code: "client_code_taken" }] });
  });

  it("allows on-behalf-of only for WEB apps and token exchange only for confidential apps", async () => {
    await expectFieldError(web({ platform: "SPA", onBehalfOfEnabled: true }), ["onBehalfOfEnabled"], "on_behalf_of_web_only");
    expect(await created(web({ onBehalfOfEnabled: true }))).toMatchObject({ onBehalfOfEnabled: true });
    await expectFieldError(web({ platform: "SPA", tokenExchange: { enabled: true } }), ["tokenExchange", "enabled"], "token_exchange_confidential_only");
    await expectFieldError(web({ tokenExchange: { enabled: true, accessTokenTtlSeconds: 59 } }), ["tokenExchange", "accessTokenTtlSeconds"], "token_exchange_ttl_range");
    await expectFieldError(web({ tokenExchange: { enabled: true, accessTokenTtlSeconds: 86401 } }), ["tokenExchange", "accessTokenTtlSeconds"], "token_exchange_ttl_range");
    expect(await created(web({ tokenExchange: { enabled: true } }))).toMatchObject({ tokenExchange: { enabled: true, accessTokenTtlSeconds: 3600 } });
    expect(await created(web({ tokenExchange: { enabled: true, accessTokenTtlSeconds: 86400 } }))).toMatchObject({
      tokenExchange: { accessTokenTtlSeconds: 86400 },
    });
  });

  it("validates initial scopes as grantScopes does and creates nothing on failure", async () => {
    const before = await server.services.db.connectApplication.count();
    await expectFieldError(web({ name: "Scoped", scopes: ["knowledge.portalmgr.read", "nope.read", "core.nothing"] }), ["scopes"], "scope_unknown");
    expect(await server.services.db.connectApplication.count()).toBe(before);
  });

  it("reports every broken rule at once", async () => {
    const result = await create(web({ name: "", logoUri: "http://x.example.com", clientCode: "A" }));
    expect(result.__typename).toBe("ValidationError");
    if (result.__typename === "ValidationError") {
      expect(result.fieldErrors.map((e) => `${e.path.join(".")}:${e.code}`)).toEqual(
        expect.arrayContaining(["name:name_length", "logoUri:link_uri_https_required", "clientCode:client_code_format"]),
      );
    }
  });
});

describe("updateConnectApplication", () => {
  it("changes what is given, keeps the rest, and applies the same rules", async () => {
    const app = await created(web({ name: "Before", description: "d" }));
    const res = await graphql(server.url, admin.token, UpdateApplicationDocument, {
      input: { id: app.id, name: "After", redirectUris: [{ uri: "https://b.example.com/1" }, { uri: "https://b.example.com/2", default: true }] },
    });
    expect(res.data.updateConnectApplication).toMatchObject({
      __typename: "UpdateConnectApplicationSuccess",
      application: {
        name: "After",
        description: "d",
        clientId: app.clientId,
        redirectUris: [
          { uri: "https://b.example.com/1", default: false },
          { uri: "https://b.example.com/2", default: true },
        ],
      },
    });
    const bad = await graphql(server.url, admin.token, UpdateApplicationDocument, {
      input: { id: app.id, redirectUris: [{ uri: "http://b.example.com/1" }] },
    });
    expect(bad.data.updateConnectApplication).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["redirectUris", "0", "uri"], code: "redirect_uri_https_required" }] });
    const dup = await created(web({ name: "Taken" }));
    const clash = await graphql(server.url, admin.token, UpdateApplicationDocument, { input: { id: app.id, name: dup.name } });
    expect(clash.data.updateConnectApplication).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["name"], code: "name_taken" }] });
  });

  it("is NotFoundError for another organization's application", async () => {
    const theirs = await created(web({ organizationId: other.organizationId }), other);
    const res = await graphql(server.url, admin.token, UpdateApplicationDocument, { input: { id: theirs.id, name: "Hijacked" } });
    expect(res.data.updateConnectApplication).toEqual({ __typename: "NotFoundError", code: "not_found", message: "no application with that id" });
  });
});

describe("deleteConnectApplication", () => {
  it("removes the app with its secrets, grants and URIs", async () => {
    const app = await created({ name: "Doomed", applicationType: "M2M", organizationId: admin.organizationId, scopes: ["core.users.read"] });
    const res = await graphql(server.url, admin.token, DeleteApplicationDocument, { id: app.id });
    expect(res.data.deleteConnectApplication).toEqual({ __typename: "DeleteConnectApplicationSuccess", deletedId: app.id, clientId: app.clientId });
    expect((await graphql(server.url, admin.token, ApplicationDocument, { id: app.id })).data.application).toBeNull();
    const again = await graphql(server.url, admin.token, DeleteApplicationDocument, { id: app.id });
    expect(again.data.deleteConnectApplication.__typename).toBe("NotFoundError");
  });
});

describe("audit trail", () => {
  it("records each change with its actor and without secrets", async () => {
    const app = await created(web({ name: "Audited" }));
    await graphql(server.url, admin.token, UpdateApplicationDocument, { input: { id: app.id, description: "changed" } });
    const res = await graphql(server.url, admin.token, AuditEventsDocument, { first: 100 });
    const events = res.data.auditEvents.edges.map((e) => e.node);
    const mine = events.filter((e) => e.details.includes(app.clientId) || e.details.includes("description"));
    expect(mine.map((e) => e.action)).toEqual(expect.arrayContaining(["application.created", "application.updated"]));
    for (const e of events) {
      expect(e.details).not.toMatch(/sk_[A-Za-z0-9]+_/);
    }
    expect(events.every((e) => e.actorId !== null || e.action.startsWith("organization."))).toBe(true);
    // Globex's events are not Acme's to read.
    expect(events.some((e) => e.details.includes("Globex"))).toBe(false);
  });
});
