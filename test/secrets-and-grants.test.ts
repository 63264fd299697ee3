// addClientSecret, revokeClientSecret, grantScopes and revokeScopes over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AddSecretDocument,
  ApplicationDocument,
  AuditEventsDocument,
  CreateApplicationDocument,
  GrantScopesDocument,
  RevokeScopesDocument,
  RevokeSecretDocument,
  type CreateConnectApplicationInput,
} from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
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

async function createApp(input: Partial<CreateConnectApplicationInput> & { name: string }, as: Admin = admin) {
  const res = await graphql(server.url, as.token, CreateApplicationDocument, {
    input: { applicationType: "M2M", organizationId: as.organizationId, ...input } as CreateConnectApplicationInput,
  });
  const r = res.data.createConnectApplication;
  if (r.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(r));
  return r.application;
}

async function addSecret(applicationId: string, extra: { description?: string; expiresInDays?: number } = {}, as: Admin = admin) {
  return (await graphql(server.url, as.token, AddSecretDocument, { input: { applicationId, ...extra } })).data.addClientSecret;
}

describe("addClientSecret", () => {
  it("returns sk_<id>_<random> once, stores only an argon2id hash and a 4-character hint", async () => {
    const app = await createApp({ name: "Secretive" });
    const result = await addSecret(app.id, { description: "CI", expiresInDays: 30 });
    if (result.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(result));
    const { plaintext, clientSecret } = result;
    expect(plaintext).toMatch(/^sk_[A-Za-z0-9]+_[A-Za-z0-9_-]{43}$/);
    const [, id] = plaintext.split("_");
    // The random part is base64url and may itself contain "_".
    const randomPart = plaintext.slice(`sk_${id}_`.length);
    expect(clientSecret.hint).toBe(plaintext.slice(-4));
    expect(clientSecret.description).toBe("CI");
    expect(clientSecret.active).toBe(true);
    const days = (new Date(clientSecret.expiresAt!).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    const row = await server.services.db.clientSecret.findUniqueOrThrow({ where: { id } });
    expect(row.hash).toMatch(/^\$argon2id\$/);
    const dump = JSON.stringify(await server.services.db.clientSecret.findMany());
    expect(dump).not.toContain(plaintext);
    expect(dump).not.toContain(randomPart);
    const audit = JSON.stringify((await server.services.db.auditEvent.findMany()).map((e) => e.details));
    expect(audit).not.toContain(randomPart);

    // Reading the application back never shows the plaintext again.
    const read = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ query: `{ application(id: "${app.id}") { clientSecrets { id hint } } }` }),
    });
    expect(await read.text()).not.toContain(randomPart);
  });

  it("refuses public clients, with the reason", async () => {
    const spa = await createApp({
      name: "SPA",
      applicationType: "OAUTH",
      platform: "SPA",
      isFirstParty: false,
      redirectUris: [{ uri: "https://spa.example.com/cb" }],
    });
    const result = await addSecret(spa.id);
    expect(result).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["applicationId"], code: "public_client_no_secret" }] });
  });

  it("checks description length and expiry range", async () => {
    const app = await createApp({ name: "Ranges" });
    expect(await addSecret(app.id, { description: "x".repeat(101) })).toMatchObject({ fieldErrors: [{ path: ["description"], code: "secret_description_length" }] });
    expect(await addSecret(app.id, { expiresInDays: 0 })).toMatchObject({ fieldErrors: [{ path: ["expiresInDays"], code: "secret_expiry_range" }] });
    expect(await addSecret(app.id, { expiresInDays: 731 })).toMatchObject({ fieldErrors: [{ path: ["expiresInDays"], code: "secret_expiry_range" }] });
    expect((await addSecret(app.id, { expiresInDays: 730 })).__typename).toBe("AddClientSecretSuccess");
  });

  it("allows at most 5 active secrets, counting revoked ones out", async () => {
    const app = await createApp({ name: "Rotating" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await addSecret(app.id);
      if (r.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(r));
      ids.push(r.clientSecret.id);
    }
    expect(await addSecret(app.id)).toMatchObject({ __typename: "ValidationError", code: "validation_failed", fieldErrors: [{ code: "too_many_secrets" }] });
    await graphql(server.url, admin.token, RevokeSecretDocument, { id: ids[0]! });
    expect((await addSecret(app.id)).__typename).toBe("AddClientSecretSuccess");
  });

  it("is NotFoundError for another organization's application", async () => {
    const theirs = await createApp({ name: "Theirs" }, other);
    expect(await addSecret(theirs.id)).toEqual({ __typename: "NotFoundError", code: "not_found", message: "no application with that id" });
    expect(await addSecret("Q29ubmVjdEFwcGxpY2F0aW9uOm5vcGU=")).toEqual({ __typename: "NotFoundError", code: "not_found", message: "no application with that id" });
  });
});

describe("revokeClientSecret", () => {
  it("takes effect at once at the token endpoint of this process", async () => {
    const app = await createApp({ name: "Revoked", scopes: ["core.users.read"] });
    const r = await addSecret(app.id);
    if (r.__typename !== "AddClientSecretSuccess") throw new Error();
    const ask = () => postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "core.users.read" }, basic(app.clientId, r.plaintext));
    expect((await ask()).status).toBe(200);
    const revoked = await graphql(server.url, admin.token, RevokeSecretDocument, { id: r.clientSecret.id });
    expect(revoked.data.revokeClientSecret).toMatchObject({ __typename: "RevokeClientSecretSuccess", clientSecret: { active: false } });
    const after = await ask();
    expect(after.status).toBe(401);
    expect(after.body.error).toBe("invalid_client");
  });

  it("is NotFoundError for another organization's secret", async () => {
    const theirs = await createApp({ name: "Their secret" }, other);
    const r = await addSecret(theirs.id, {}, other);
    if (r.__typename !== "AddClientSecretSuccess") throw new Error();
    const res = await graphql(server.url, admin.token, RevokeSecretDocument, { id: r.clientSecret.id });
    expect(res.data.revokeClientSecret).toEqual({ __typename: "NotFoundError", code: "not_found", message: "no client secret with that id" });
  });
});

describe("grantScopes and revokeScopes", () => {
  const names = (app: { scopeGrants: { kind: string; scope: { name: string } }[] }) => app.scopeGrants.map((g) => `${g.kind}:${g.scope.name}`).sort();

  it("grants with the default kind for the app type, and granting twice changes nothing", async () => {
    const m2m = await createApp({ name: "Grantee" });
    const res = await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: m2m.id, scopes: ["knowledge.portalmgr.read", "core.users.read"] } });
    if (res.data.grantScopes.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(res.data));
    expect(names(res.data.grantScopes.application)).toEqual(["APPLICATION:core.users.read", "APPLICATION:knowledge.portalmgr.read"]);
    const auditBefore = await server.services.db.auditEvent.count();
    const again = await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: m2m.id, scopes: ["core.users.read"] } });
    expect(again.data.grantScopes.__typename).toBe("GrantScopesSuccess");
    expect(await server.services.db.auditEvent.count()).toBe(auditBefore);

    const web = await createApp({ name: "Web grantee", applicationType: "OAUTH", isFirstParty: false, redirectUris: [{ uri: "https://w.example.com/cb" }] });
    const d = await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: web.id, scopes: ["openid", "knowledge.portalmgr.read"] } });
    if (d.data.grantScopes.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(d.data));
    expect(names(d.data.grantScopes.application)).toEqual(["DELEGATED:knowledge.portalmgr.read", "DELEGATED:openid"]);
  });

  it("lists the unknown scope names", async () => {
    const app = await createApp({ name: "Unknowns" });
    const res = await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: app.id, scopes: ["core.users.read", "nope.read", "knowledge.nothing"] } });
    expect(res.data.grantScopes).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: ["scopes"], code: "scope_unknown", message: "unknown scopes: nope.read, knowledge.nothing" }] });
    expect(await server.services.db.scopeGrant.count({ where: { scope: "core.users.read", application: { name: "Unknowns" } } })).toBe(0);
  });

  it("enforces the kinds a scope allows and the kinds an app may hold", async () => {
    const m2m = await createApp({ name: "Kinds" });
    const spa = await createApp({ name: "Kinds SPA", applicationType: "OAUTH", platform: "SPA", isFirstParty: false, redirectUris: [{ uri: "https://s.example.com/cb" }] });
    const grant = async (applicationId: string, scopes: string[], kind?: "DELEGATED" | "APPLICATION") =>
      (await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId, scopes, kind } })).data.grantScopes;
    expect(await grant(m2m.id, ["openid"])).toMatchObject({ fieldErrors: [{ code: "scope_kind_not_allowed" }] });
    expect(await grant(m2m.id, ["core.users.read"], "DELEGATED")).toMatchObject({ fieldErrors: [{ path: ["kind"], code: "delegated_permission_oauth_only" }] });
    expect(await grant(spa.id, ["core.users.read"], "APPLICATION")).toMatchObject({ fieldErrors: [{ path: ["kind"], code: "application_permission_confidential_only" }] });
    expect(await grant(spa.id, ["core.users.read"])).toMatchObject({ __typename: "GrantScopesSuccess" });
  });

  it("grants on-behalf-of scopes only to apps with onBehalfOfEnabled", async () => {
    const base = { applicationType: "OAUTH" as const, isFirstParty: false, redirectUris: [{ uri: "https://o.example.com/cb" }] };
    const plain = await createApp({ name: "No OBO", ...base });
    const obo = await createApp({ name: "OBO", ...base, onBehalfOfEnabled: true });
    const grant = async (applicationId: string) =>
      (await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId, scopes: ["knowledge.portalmgr.onbehalfof.read"] } })).data.grantScopes;
    expect(await grant(plain.id)).toMatchObject({ fieldErrors: [{ code: "on_behalf_of_not_enabled" }] });
    expect(await grant(obo.id)).toMatchObject({ __typename: "GrantScopesSuccess" });
  });

  it("revokes grants, and the token endpoint stops issuing them at once", async () => {
    const app = await createApp({ name: "Revokee", scopes: ["core.users.read", "knowledge.portalmgr.read"] });
    const r = await addSecret(app.id);
    if (r.__typename !== "AddClientSecretSuccess") throw new Error();
    const ask = (scope: string) => postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope }, basic(app.clientId, r.plaintext));
    expect((await ask("core.users.read")).status).toBe(200);
    const res = await graphql(server.url, admin.token, RevokeScopesDocument, { input: { applicationId: app.id, scopes: ["core.users.read"] } });
    if (res.data.revokeScopes.__typename !== "RevokeScopesSuccess") throw new Error(JSON.stringify(res.data));
    expect(names(res.data.revokeScopes.application)).toEqual(["APPLICATION:knowledge.portalmgr.read"]);
    expect((await ask("core.users.read")).body.error).toBe("invalid_scope");
    expect((await ask("knowledge.portalmgr.read")).status).toBe(200);
  });

  it("writes audit events for secrets and grants", async () => {
    const res = await graphql(server.url, admin.token, AuditEventsDocument, { first: 200 });
    const actions = new Set(res.data.auditEvents.edges.map((e) => e.node.action));
    for (const a of ["client_secret.created", "client_secret.revoked", "scopes.granted", "scopes.revoked"]) expect(actions).toContain(a);
  });

  it("application(id) shows grants with their catalog descriptions", async () => {
    const app = await createApp({ name: "Described", scopes: ["knowledge.portalmgr.read"] });
    const res = await graphql(server.url, admin.token, ApplicationDocument, { id: app.id });
    expect(res.data.application?.scopeGrants[0]?.scope.description).toEqual(expect.any(String));
  });
});
