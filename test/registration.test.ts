// Dynamic client registration (RFC 7591 at POST /oauth/register) and its management (RFC 7592 at
// /oauth/register/{client_id}) over real HTTP: off without an initial access token an ADMIN
// created, the same rules and messages as createConnectApplication, the registration access
// token stored hashed and rotated on every update (once, under 20 concurrent updates).
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";
import { CALLBACK, codeFor } from "./helpers/user-apps.ts";

let server: TestServer;
let acme: Admin;
let globex: Admin;
/** Every secret and token a test saw, to prove none reaches the audit trail. */
const secretsSeen: string[] = [];

type Json = Record<string, any>;

async function gql(as: Admin, query: string, variables: Record<string, unknown> = {}): Promise<{ data: Json; errors?: unknown[] }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${as.token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data: Json; errors?: unknown[] };
}

const CREATE_TOKEN = `mutation($i: CreateRegistrationTokenInput!) { createRegistrationToken(input: $i) {
  __typename
  ... on CreateRegistrationTokenSuccess { plaintext registrationToken { id expiresAt maxUses usesLeft active } }
  ... on Error { code message }
  ... on ValidationError { fieldErrors { path code message } } } }`;

async function initialToken(as: Admin, input: { expiresInDays?: number; maxUses?: number } = {}): Promise<{ plaintext: string; id: string }> {
  const res = await gql(as, CREATE_TOKEN, { i: { organizationId: as.organizationId, ...input } });
  const r = res.data.createRegistrationToken;
  if (r.__typename !== "CreateRegistrationTokenSuccess") throw new Error(JSON.stringify(res));
  secretsSeen.push(r.plaintext);
  return { plaintext: r.plaintext, id: r.registrationToken.id };
}

interface Reply {
  status: number;
  headers: Headers;
  body: Json;
}

async function call(method: string, url: string, token: string | null, body?: unknown, contentType = "application/json"): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = contentType;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  const reply = { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Json) : {} };
  for (const key of ["client_secret", "registration_access_token"]) if (typeof reply.body[key] === "string") secretsSeen.push(reply.body[key]);
  return reply;
}

const register = (token: string | null, metadata: unknown) => call("POST", `${server.url}/oauth/register`, token, metadata);

let names = 0;
const webClient = (extra: Json = {}): Json => ({
  client_name: `Registered web ${++names}`,
  redirect_uris: [CALLBACK],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "client_secret_basic",
  ...extra,
});

beforeAll(async () => {
  server = await startTestServer();
  acme = await bootstrapAdmin(server, "Acme");
  globex = await bootstrapAdmin(server, "Globex");
});
afterAll(async () => server?.close());

describe("initial access tokens (createRegistrationToken)", () => {
  it("are shown once, stored only as a hash, with an expiry and a use count", async () => {
    const res = await gql(acme, CREATE_TOKEN, { i: { organizationId: acme.organizationId, expiresInDays: 3, maxUses: 2 } });
    const r = res.data.createRegistrationToken;
    expect(r.__typename).toBe("CreateRegistrationTokenSuccess");
    expect(r.registrationToken.id).toMatch(/^rat_/);
    expect(r.registrationToken).toMatchObject({ maxUses: 2, usesLeft: 2, active: true });
    const days = (Date.parse(r.registrationToken.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(2.99);
    expect(days).toBeLessThan(3.01);
    secretsSeen.push(r.plaintext);
    const rows = await server.services.db.registrationToken.findMany();
    expect(JSON.stringify(rows)).not.toContain(r.plaintext);
    const listed = await gql(acme, `query($id: ID!) { node(id: $id) { ... on Organization { registrationTokens { id usesLeft } } } }`, { id: acme.organizationId });
    expect(listed.data.node.registrationTokens.map((t: Json) => t.id)).toContain(r.registrationToken.id);
  });

  it("are for the organization's ADMINs: another organization is NotFoundError, out-of-range values a ValidationError", async () => {
    const other = await gql(globex, CREATE_TOKEN, { i: { organizationId: acme.organizationId } });
    expect(other.data.createRegistrationToken).toMatchObject({ __typename: "NotFoundError", code: "not_found" });
    const bad = await gql(acme, CREATE_TOKEN, { i: { organizationId: acme.organizationId, expiresInDays: 0, maxUses: 5000 } });
    expect(bad.data.createRegistrationToken.__typename).toBe("ValidationError");
    expect(bad.data.createRegistrationToken.fieldErrors.map((e: Json) => e.code).sort()).toEqual(["registration_token_expiry_range", "registration_token_uses_range"]);
    const readOnly = await bootstrapAdmin(server, "ReadOnly", "connect.applications.read");
    const forbidden = await gql(readOnly, CREATE_TOKEN, { i: { organizationId: readOnly.organizationId } });
    expect(forbidden.data.createRegistrationToken.__typename).toBe("ForbiddenError");
  });

  it("can be revoked; a revoked token registers nothing, and another organization cannot revoke it", async () => {
    const token = await initialToken(acme, { maxUses: 5 });
    const REVOKE = `mutation($i: RevokeRegistrationTokenInput!) { revokeRegistrationToken(input: $i) { __typename ... on RevokeRegistrationTokenSuccess { registrationToken { revokedAt active } } } }`;
    expect((await gql(globex, REVOKE, { i: { id: token.id } })).data.revokeRegistrationToken.__typename).toBe("NotFoundError");
    const revoked = await gql(acme, REVOKE, { i: { id: token.id } });
    expect(revoked.data.revokeRegistrationToken.registrationToken.active).toBe(false);
    expect(await register(token.plaintext, webClient())).toMatchObject({ status: 401, body: { error: "invalid_token" } });
  });
});

describe("POST /oauth/register (RFC 7591)", () => {
  it("is advertised as registration_endpoint in both discovery documents", async () => {
    for (const doc of ["oauth-authorization-server", "openid-configuration"]) {
      const meta = (await (await fetch(`${server.url}/.well-known/${doc}`)).json()) as Json;
      expect(meta.registration_endpoint).toBe(`${server.url}/oauth/register`);
    }
  });

  it("is off without a valid initial access token: 401 invalid_token with a Bearer challenge", async () => {
    for (const token of [null, "skr_not-a-real-token", "garbage"]) {
      const res = await register(token, webClient());
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("invalid_token");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
    const basicAuth = await fetch(`${server.url}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", ...basic("x", "y") },
      body: JSON.stringify(webClient()),
    });
    expect(basicAuth.status).toBe(401);
    expect(await server.services.db.connectApplication.count({ where: { registeredDynamically: true } })).toBe(0);
  });

  it("takes JSON only: a form or text body is 415, malformed JSON 400, a JSON array invalid_client_metadata", async () => {
    const { plaintext } = await initialToken(acme, { maxUses: 10 });
    const form = await call("POST", `${server.url}/oauth/register`, plaintext, new URLSearchParams({ client_name: "x" }).toString(), "application/x-www-form-urlencoded");
    expect(form).toMatchObject({ status: 415, body: { error: "invalid_request" } });
    const text = await call("POST", `${server.url}/oauth/register`, plaintext, "client_name=x", "text/plain");
    expect(text.status).toBe(415);
    const broken = await call("POST", `${server.url}/oauth/register`, plaintext, "{ not json", "application/json");
    expect(broken).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    const array = await register(plaintext, [webClient()]);
    expect(array).toMatchObject({ status: 400, body: { error: "invalid_client_metadata" } });
    const token = await server.services.db.registrationToken.findFirstOrThrow({ where: { usesLeft: 10 } });
    expect(token.usesLeft).toBe(10); // refused requests cost no use
  });

  it("registers a confidential client: 201, the secret once, and the metadata as stored; the app is PRIVATE in the token's organization", async () => {
    const { plaintext } = await initialToken(acme);
    const metadata = webClient({
      logo_uri: "https://client.example.test/logo.png",
      tos_uri: "https://client.example.test/tos",
      policy_uri: "https://client.example.test/privacy",
      client_uri: "https://client.example.test/",
      contacts: ["ops@client.example.test"],
      scope: "openid email",
      software_statement_of_the_future: { anything: true },
      frobnicate: 42,
    });
    const res = await register(plaintext, metadata);
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = res.body;
    expect(body).toMatchObject({
      client_name: metadata.client_name,
      redirect_uris: [CALLBACK],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      logo_uri: metadata.logo_uri,
      tos_uri: metadata.tos_uri,
      policy_uri: metadata.policy_uri,
      client_uri: metadata.client_uri,
      contacts: metadata.contacts,
      scope: "email openid",
      client_secret_expires_at: 0,
    });
    expect(body.client_id).toEqual(expect.any(String));
    expect(body.client_secret).toMatch(/^sk_/);
    expect(Math.abs(body.client_id_issued_at - Date.now() / 1000)).toBeLessThan(60);
    expect(body.registration_access_token).toMatch(/^skm_/);
    expect(body.registration_client_uri).toBe(`${server.url}/oauth/register/${body.client_id}`);
    expect(body).not.toHaveProperty("frobnicate");
    expect(body).not.toHaveProperty("software_statement_of_the_future");

    const apps = await gql(acme, `{ applications(first: 100) { edges { node { clientId visibility registeredDynamically platform organization { id } } } } }`);
    const app = apps.data.applications.edges.map((e: Json) => e.node).find((n: Json) => n.clientId === body.client_id);
    expect(app).toEqual({ clientId: body.client_id, visibility: "PRIVATE", registeredDynamically: true, platform: "WEB", organization: { id: acme.organizationId } });
    const theirs = await gql(globex, `{ applications(first: 100) { edges { node { clientId } } } }`);
    expect(JSON.stringify(theirs.data)).not.toContain(body.client_id);
    // Stored hashed: neither the registration access token nor the secret is in the database.
    const rows = JSON.stringify(await server.services.db.clientRegistration.findMany()) + JSON.stringify(await server.services.db.clientSecret.findMany());
    expect(rows).not.toContain(body.registration_access_token);
    expect(rows).not.toContain(body.client_secret);
  });

  it("registers a public SPA (none) with PKCE and no secret, and a native app on loopback http", async () => {
    const { plaintext } = await initialToken(acme, { maxUses: 2 });
    const spa = await register(plaintext, webClient({ token_endpoint_auth_method: "none" }));
    expect(spa.status).toBe(201);
    expect(spa.body).not.toHaveProperty("client_secret");
    expect(spa.body.token_endpoint_auth_method).toBe("none");
    const native = await register(plaintext, webClient({ token_endpoint_auth_method: "none", application_type: "native", redirect_uris: ["http://127.0.0.1:53682/cb", "com.example.app:/cb"] }));
    expect(native.status).toBe(201);
    expect(native.body.application_type).toBe("native");
    const rows = await server.services.db.connectApplication.findMany({ where: { clientId: { in: [spa.body.client_id, native.body.client_id] } } });
    expect(rows.map((r) => [r.platform, r.usesPkce]).sort()).toEqual([["NATIVE", true], ["SPA", true]]);
  });

  it("refuses dangerous schemes, fragments and non-loopback http as invalid_redirect_uri, and changes nothing", async () => {
    const { plaintext } = await initialToken(acme, { maxUses: 1 });
    const before = await server.services.db.connectApplication.count();
    const cases: [Json, string][] = [
      [{ redirect_uris: ["javascript:alert(1)"] }, "redirect_uri_https_required"],
      [{ redirect_uris: ["data:text/html,<script>alert(1)</script>"] }, "redirect_uri_https_required"],
      [{ redirect_uris: ["file:///etc/passwd"] }, "redirect_uri_https_required"],
      [{ redirect_uris: ["http://client.example.test/cb"] }, "redirect_uri_https_required"],
      [{ redirect_uris: ["https://client.example.test/cb#frag"] }, "redirect_uri_fragment"],
      [{ token_endpoint_auth_method: "none", application_type: "native", redirect_uris: ["javascript:alert(1)"] }, "redirect_uri_scheme_not_allowed"],
      [{ token_endpoint_auth_method: "none", application_type: "native", redirect_uris: ["http://localhost:8080/cb"] }, "redirect_uri_loopback_required"],
    ];
    for (const [extra, code] of cases) {
      const res = await register(plaintext, webClient(extra));
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.error).toBe("invalid_redirect_uri");
      expect(res.body.field_errors[0]).toMatchObject({ field: "redirect_uris[0]", code });
    }
    const logo = await register(plaintext, webClient({ logo_uri: "javascript:alert(1)" }));
    expect(logo.body).toMatchObject({ error: "invalid_client_metadata", field_errors: [{ field: "logo_uri", code: "link_uri_https_required" }] });
    expect(await server.services.db.connectApplication.count()).toBe(before);
    expect((await register(plaintext, webClient())).status).toBe(201); // its one use is still there
  });

  it("refuses unsupported grant types and methods, and the admin API's own scopes", async () => {
    const { plaintext } = await initialToken(acme);
    const cases: [Json, string][] = [
      [{ grant_types: ["implicit"], response_types: ["token"] }, "grant_type_unsupported"],
      [{ grant_types: ["authorization_code", "client_credentials"] }, "grant_types_mixed"],
      [{ token_endpoint_auth_method: "tls_client_auth" }, "token_endpoint_auth_method_unsupported"],
      [{ token_endpoint_auth_method: "private_key_jwt" }, "jwks_required"],
      [{ response_types: ["code", "id_token"] }, "response_type_unsupported"],
      [{ grant_types: ["client_credentials"], redirect_uris: undefined, response_types: undefined, scope: "connect.applications.manage" }, "scope_not_registrable"],
      [{ client_name: 42 }, "client_metadata_type"],
      [{ client_name: "nul\u0000byte" }, "client_metadata_control_character"],
    ];
    for (const [extra, code] of cases) {
      const res = await register(plaintext, webClient(extra));
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.error).toBe("invalid_client_metadata");
      expect(res.body.field_errors.map((e: Json) => e.code)).toContain(code);
    }
  });

  it("counts uses: a token for 2 registers two clients, then 401; an expired token registers none", async () => {
    const two = await initialToken(acme, { maxUses: 2 });
    expect((await register(two.plaintext, webClient())).status).toBe(201);
    expect((await register(two.plaintext, webClient())).status).toBe(201);
    expect(await register(two.plaintext, webClient())).toMatchObject({ status: 401, body: { error: "invalid_token" } });
    const expiring = await initialToken(acme, { maxUses: 5 });
    await server.services.db.registrationToken.update({ where: { id: expiring.id.slice(4) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await register(expiring.plaintext, webClient())).toMatchObject({ status: 401, body: { error: "invalid_token" } });
  });

  it("gives the last use to exactly one of 10 concurrent registrations", async () => {
    const one = await initialToken(acme, { maxUses: 1 });
    const results = await Promise.all(Array.from({ length: 10 }, () => register(one.plaintext, webClient())));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(9);
  });
});

describe("the same rules and messages as createConnectApplication (one implementation, two doors)", () => {
  const CREATE = `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { __typename ... on ValidationError { fieldErrors { path code message } } } }`;
  // Each case: client metadata for /oauth/register, the same application for GraphQL.
  const web = (over: Json = {}) => ({ applicationType: "OAUTH", platform: "WEB", isFirstParty: false, redirectUris: [{ uri: CALLBACK }], ...over });
  const cases: { name: string; metadata: Json; input: Json; error: string }[] = [
    { name: "javascript: redirect URI", metadata: { redirect_uris: ["javascript:alert(1)"] }, input: web({ redirectUris: [{ uri: "javascript:alert(1)" }] }), error: "invalid_redirect_uri" },
    { name: "fragment", metadata: { redirect_uris: ["https://a.example/cb#x"] }, input: web({ redirectUris: [{ uri: "https://a.example/cb#x" }] }), error: "invalid_redirect_uri" },
    { name: "plain http", metadata: { redirect_uris: ["http://a.example/cb"] }, input: web({ redirectUris: [{ uri: "http://a.example/cb" }] }), error: "invalid_redirect_uri" },
    { name: "wildcard", metadata: { redirect_uris: ["https://*.a.example/cb"] }, input: web({ redirectUris: [{ uri: "https://*.a.example/cb" }] }), error: "invalid_redirect_uri" },
    { name: "duplicate", metadata: { redirect_uris: [CALLBACK, CALLBACK] }, input: web({ redirectUris: [{ uri: CALLBACK }, { uri: CALLBACK }] }), error: "invalid_redirect_uri" },
    { name: "no redirect URI", metadata: { redirect_uris: [] }, input: web({ redirectUris: [] }), error: "invalid_redirect_uri" },
    { name: "empty name", metadata: { client_name: "" }, input: web({ name: "" }), error: "invalid_client_metadata" },
    { name: "long name", metadata: { client_name: "x".repeat(101) }, input: web({ name: "x".repeat(101) }), error: "invalid_client_metadata" },
    { name: "http logo", metadata: { logo_uri: "http://a.example/logo.png" }, input: web({ logoUri: "http://a.example/logo.png" }), error: "invalid_client_metadata" },
    { name: "relative terms", metadata: { tos_uri: "/tos" }, input: web({ termsOfServiceUri: "/tos" }), error: "invalid_client_metadata" },
    { name: "unknown scope", metadata: { scope: "openid no.such.scope" }, input: web({ scopes: ["openid", "no.such.scope"] }), error: "invalid_client_metadata" },
    {
      name: "native on a non-loopback http host",
      metadata: { token_endpoint_auth_method: "none", application_type: "native", redirect_uris: ["http://localhost/cb"] },
      input: web({ platform: "NATIVE", redirectUris: [{ uri: "http://localhost/cb" }] }),
      error: "invalid_redirect_uri",
    },
    {
      name: "M2M with a redirect URI",
      metadata: { grant_types: ["client_credentials"], response_types: [], redirect_uris: [CALLBACK] },
      input: { applicationType: "M2M", redirectUris: [{ uri: CALLBACK }] },
      error: "invalid_redirect_uri",
    },
  ];

  for (const c of cases) {
    it(`${c.name}: the same rule, code and message through GraphQL and /oauth/register`, async () => {
      const { plaintext } = await initialToken(acme);
      const name = `Shared rules ${++names}`;
      const viaGraphQL = await gql(acme, CREATE, { i: { name, organizationId: acme.organizationId, ...c.input } });
      const graphqlErrors = viaGraphQL.data.createConnectApplication.fieldErrors as { code: string; message: string }[];
      expect(graphqlErrors?.length, JSON.stringify(viaGraphQL)).toBeGreaterThan(0);
      const viaRegistration = await register(plaintext, webClient({ client_name: name, ...c.metadata }));
      expect(viaRegistration.status).toBe(400);
      expect(viaRegistration.body.error).toBe(c.error);
      const registrationErrors = viaRegistration.body.field_errors as { field: string; code: string; message: string }[];
      expect(registrationErrors.map(({ code, message }) => ({ code, message }))).toEqual(graphqlErrors.map(({ code, message }) => ({ code, message })));
      for (const e of registrationErrors) expect(viaRegistration.body.error_description).toContain(`${e.field}: ${e.message}`);
    });
  }

  it("name taken: the same rule through both doors", async () => {
    const { plaintext } = await initialToken(acme, { maxUses: 2 });
    const first = await register(plaintext, webClient({ client_name: "Taken name" }));
    expect(first.status).toBe(201);
    const viaGraphQL = await gql(acme, CREATE, { i: { name: "Taken name", organizationId: acme.organizationId, ...web() } });
    const viaRegistration = await register(plaintext, webClient({ client_name: "Taken name" }));
    expect(viaRegistration.body.field_errors.map(({ code, message }: Json) => ({ code, message }))).toEqual(
      viaGraphQL.data.createConnectApplication.fieldErrors.map(({ code, message }: Json) => ({ code, message })),
    );
    expect(viaRegistration.body.field_errors[0].field).toBe("client_name");
  });
});

describe("the registered client at work", () => {
  it("runs the authorization code flow it registered for, with its secret", async () => {
    const user = await createUser(server, acme.organizationDbId, "dcr-user@acme.test", "dcr user password");
    const { plaintext } = await initialToken(acme);
    const reg = await register(plaintext, webClient({ scope: "openid email" }));
    expect(reg.status).toBe(201);
    const app = { id: "", clientId: reg.body.client_id, secret: reg.body.client_secret };
    const { code, verifier } = await codeFor(server, app, user, "openid email");
    const token = await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, basic(app.clientId, app.secret));
    expect(token.status).toBe(200);
    expect(token.body.id_token).toEqual(expect.any(String));
  });

  it("gets a client_credentials token with oauth4webapi when it registered for client_credentials", async () => {
    const { plaintext } = await initialToken(acme);
    const reg = await register(plaintext, { client_name: "Registered machine", grant_types: ["client_credentials"], scope: "core.users.read", token_endpoint_auth_method: "client_secret_post" });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ grant_types: ["client_credentials"], response_types: [], token_endpoint_auth_method: "client_secret_post", scope: "core.users.read" });
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const issuer = new URL(server.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    expect(as.registration_endpoint).toBe(`${server.url}/oauth/register`);
    const client: oauth.Client = { client_id: reg.body.client_id };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(reg.body.client_secret), new URLSearchParams({ scope: "core.users.read" }), insecure);
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result.access_token).toEqual(expect.any(String));
    expect(result.scope).toBe("core.users.read");
  });
});

describe("/oauth/register/{client_id} (RFC 7592)", () => {
  async function registered(extra: Json = {}) {
    const { plaintext } = await initialToken(acme);
    const res = await register(plaintext, webClient(extra));
    expect(res.status).toBe(201);
    return res.body;
  }

  it("reads the registration with its registration access token", async () => {
    const reg = await registered({ logo_uri: "https://client.example.test/logo.png" });
    const read = await call("GET", reg.registration_client_uri, reg.registration_access_token);
    expect(read.status).toBe(200);
    expect(read.headers.get("cache-control")).toBe("no-store");
    const { client_secret: _s, client_secret_expires_at: _e, ...stored } = reg;
    expect(read.body).toEqual(stored);
  });

  it("answers 401 invalid_token for no token, a wrong token, another client's token and an unknown client alike", async () => {
    const mine = await registered();
    const theirs = await registered();
    const unknown = `${server.url}/oauth/register/does-not-exist`;
    for (const [url, token] of [
      [mine.registration_client_uri, null],
      [mine.registration_client_uri, "skm_wrong"],
      [mine.registration_client_uri, theirs.registration_access_token],
      [unknown, mine.registration_access_token],
      [mine.registration_client_uri, mine.client_secret],
    ] as [string, string | null][]) {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const res = await call(method, url, token, method === "PUT" ? { ...webClient(), client_id: mine.client_id } : undefined);
        expect(res.status, `${method} ${url} ${token}`).toBe(401);
        expect(res.body.error).toBe("invalid_token");
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    }
    expect((await call("GET", mine.registration_client_uri, mine.registration_access_token)).status).toBe(200);
  });

  it("updates by full replacement and rotates the registration access token: the old one stops working", async () => {
    const reg = await registered({ logo_uri: "https://client.example.test/logo.png", scope: "openid" });
    const update = { client_id: reg.client_id, client_name: "Renamed", redirect_uris: ["https://client.example.test/new-callback"], scope: "openid email" };
    const res = await call("PUT", reg.registration_client_uri, reg.registration_access_token, update);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ client_id: reg.client_id, client_name: "Renamed", redirect_uris: ["https://client.example.test/new-callback"], scope: "email openid" });
    expect(res.body).not.toHaveProperty("logo_uri"); // omitted means gone: a full replacement
    expect(res.body.registration_access_token).not.toBe(reg.registration_access_token);
    expect((await call("GET", reg.registration_client_uri, reg.registration_access_token)).status).toBe(401);
    const read = await call("GET", reg.registration_client_uri, res.body.registration_access_token);
    expect(read.body).toMatchObject({ client_name: "Renamed", redirect_uris: ["https://client.example.test/new-callback"] });
    // The client's secret is unchanged by the update.
    const token = await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "x" }, basic(reg.client_id, reg.client_secret));
    expect(token.body.error).not.toBe("invalid_client");
  });

  it("refuses an update that breaks a rule, or names another client, without rotating anything", async () => {
    const reg = await registered();
    const uri = reg.registration_client_uri;
    const bad = await call("PUT", uri, reg.registration_access_token, { ...webClient(), client_id: reg.client_id, redirect_uris: ["http://client.example.test/cb"] });
    expect(bad).toMatchObject({ status: 400, body: { error: "invalid_redirect_uri" } });
    const fixed = await call("PUT", uri, reg.registration_access_token, { ...webClient(), client_id: reg.client_id, grant_types: ["client_credentials"], response_types: [] });
    expect(fixed).toMatchObject({ status: 400, body: { error: "invalid_client_metadata", field_errors: [{ field: "grant_types", code: "fixed_after_creation" }] } });
    const other = await call("PUT", uri, reg.registration_access_token, { ...webClient(), client_id: "someone-else" });
    expect(other).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    const wrongSecret = await call("PUT", uri, reg.registration_access_token, { ...webClient(), client_id: reg.client_id, client_secret: "sk_nope" });
    expect(wrongSecret).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    expect((await call("GET", uri, reg.registration_access_token)).status).toBe(200);
  });

  it("rotates once under 20 concurrent updates with the same token: exactly one succeeds", async () => {
    const reg = await registered();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call("PUT", reg.registration_client_uri, reg.registration_access_token, { ...webClient(), client_id: reg.client_id, client_name: `Concurrent ${i}` }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(19);
    const winner = ok[0]!.body;
    const read = await call("GET", reg.registration_client_uri, winner.registration_access_token);
    expect(read.body.client_name).toBe(winner.client_name);
    const app = await server.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: reg.client_id } });
    const updates = await server.services.db.auditEvent.count({ where: { applicationId: app.id, action: "application.registration_updated" } });
    expect(updates).toBe(1);
  });

  it("deletes the application with DELETE: 204, then its token and credentials are dead", async () => {
    const reg = await registered();
    const del = await call("DELETE", reg.registration_client_uri, reg.registration_access_token);
    expect(del.status).toBe(204);
    expect(await server.services.db.connectApplication.findUnique({ where: { clientId: reg.client_id } })).toBeNull();
    expect((await call("GET", reg.registration_client_uri, reg.registration_access_token)).status).toBe(401);
    const token = await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "openid" }, basic(reg.client_id, reg.client_secret));
    expect(token).toMatchObject({ status: 401, body: { error: "invalid_client" } });
  });
});

describe("an ADMIN and a registered application", () => {
  it("the organization's ADMINs manage it like any other: deleting it in GraphQL ends its registration access token", async () => {
    const { plaintext } = await initialToken(acme);
    const reg = (await register(plaintext, webClient())).body;
    const apps = await gql(acme, `{ applications(first: 200) { edges { node { id clientId } } } }`);
    const id = apps.data.applications.edges.map((e: Json) => e.node).find((n: Json) => n.clientId === reg.client_id).id;
    const del = await gql(acme, `mutation($i: DeleteConnectApplicationInput!) { deleteConnectApplication(input: $i) { __typename } }`, { i: { id } });
    expect(del.data.deleteConnectApplication.__typename).toBe("DeleteConnectApplicationSuccess");
    expect((await call("GET", reg.registration_client_uri, reg.registration_access_token)).status).toBe(401);
    expect(await server.services.db.clientRegistration.count({ where: { application: { clientId: reg.client_id } } })).toBe(0);
  });
});

describe("the audit trail", () => {
  it("records token creation, registration, update and deletion, with no secret in any event", async () => {
    const { plaintext, id } = await initialToken(acme);
    const reg = (await register(plaintext, webClient())).body;
    const put = await call("PUT", reg.registration_client_uri, reg.registration_access_token, { ...webClient(), client_id: reg.client_id });
    await call("DELETE", reg.registration_client_uri, put.body.registration_access_token);
    const events = await server.services.db.auditEvent.findMany({ orderBy: { createdAt: "asc" } });
    const actions = events.map((e) => e.action);
    for (const action of ["registration_token.created", "application.registered", "client_secret.created", "application.registration_updated", "application.registration_deleted"]) {
      expect(actions).toContain(action);
    }
    const created = events.find((e) => e.action === "registration_token.created" && e.targetId === id);
    expect(created).toBeDefined();
    const registeredEvent = events.find((e) => e.action === "application.registered" && e.details.includes(reg.client_id));
    expect(registeredEvent?.actorId).toBe(id);
    const all = JSON.stringify(events);
    expect(secretsSeen.length).toBeGreaterThan(10);
    for (const secret of secretsSeen) expect(all).not.toContain(secret);
  });
});
