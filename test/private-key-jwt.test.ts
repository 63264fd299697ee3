// private_key_jwt (RFC 7523 with RFC 7523bis): registration of public keys through GraphQL and
// dynamic registration, and what the token endpoint accepts as a client assertion.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/db/client.ts";
import { DatabaseReplayStore, ReplayStoreUnavailable } from "../src/auth/replay-store.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { ASSERTION_TYPE, clientAssertion, jwksOf, newClientKey, rawGraphql, type ClientKey } from "./helpers/client-keys.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startSilentServer } from "./helpers/external-issuer.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { POSTGRES_URL } from "./helpers/database.ts";

let server: TestServer;
let admin: Admin;
let key: ClientKey;
let clientId: string;

const CREATE = `mutation($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) {
  __typename
  ... on CreateConnectApplicationSuccess { application { id clientId tokenEndpointAuthMethod jwks jwksUri } }
  ... on ValidationError { fieldErrors { path message code } } } }`;
const ADD_SECRET = `mutation($input: AddClientSecretInput!) { addClientSecret(input: $input) { __typename ... on ValidationError { fieldErrors { path code } } } }`;

async function create(input: Record<string, unknown>) {
  const res = await rawGraphql(server.url, CREATE, { input: { applicationType: "M2M", organizationId: admin.organizationId, scopes: ["knowledge.portalmgr.read"], ...input } }, { authorization: `Bearer ${admin.token}` });
  return res.body.data!.createConnectApplication as { __typename: string; application?: { id: string; clientId: string; tokenEndpointAuthMethod: string; jwks: string | null }; fieldErrors?: { path: string[]; code: string }[] };
}

const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
  postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "knowledge.portalmgr.read", ...form }, headers);

const withAssertion = (assertion: string, extra: Record<string, string> = {}) => token({ client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, ...extra });

/** A JWKS endpoint whose answer the test changes, counting fetches. */
function jwksServer() {
  const state = { body: "{}", fetches: 0, delayMs: 0 };
  const srv = http.createServer((req, res) => {
    state.fetches += 1;
    setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(state.body), state.delayMs);
  });
  return new Promise<{ url: string; state: typeof state; close(): Promise<void> }>((resolve) =>
    srv.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
        state,
        close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }),
      }),
    ),
  );
}

beforeAll(async () => {
  // This file refuses many assertions on purpose, all from 127.0.0.1: the per-address throttle
  // (test/throttles.test.ts) must not turn its later 401s into 429s.
  server = await startTestServer({ env: { CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: "200", CLIENT_AUTH_MAX_FAILURES_PER_CLIENT: "400" } });
  admin = await bootstrapAdmin(server, "Keys Inc");
  key = await newClientKey("ES256");
  const r = await create({ name: "Signer", tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwks: JSON.stringify(jwksOf(key)) });
  if (r.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(r));
  clientId = r.application!.clientId;
});
afterAll(async () => server?.close());

describe("metadata", () => {
  it("lists private_key_jwt and its asymmetric signing algorithms", async () => {
    const doc = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(doc.token_endpoint_auth_methods_supported).toContain("private_key_jwt");
    expect(doc.token_endpoint_auth_signing_alg_values_supported).toEqual(["ES256", "RS256", "PS256", "EdDSA"]);
    expect(doc.dpop_signing_alg_values_supported).toEqual(["ES256", "RS256", "PS256", "EdDSA"]);
  });
});

describe("registering public keys (GraphQL)", () => {
  it("keeps the method and the keys, and such an app gets no secret", async () => {
    const r = await create({ name: "Signer 2", tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwks: JSON.stringify(jwksOf(key)) });
    expect(r.application).toMatchObject({ tokenEndpointAuthMethod: "PRIVATE_KEY_JWT" });
    expect(JSON.parse(r.application!.jwks!)).toEqual(jwksOf(key));
    const s = await rawGraphql(server.url, ADD_SECRET, { input: { applicationId: r.application!.id } }, { authorization: `Bearer ${admin.token}` });
    expect(s.body.data!.addClientSecret).toEqual({ __typename: "ValidationError", fieldErrors: [{ path: ["applicationId"], code: "private_key_jwt_no_secret" }] });
  });

  it("refuses PRIVATE_KEY_JWT without keys, with both jwks and jwksUri, and private keys", async () => {
    const codes = async (input: Record<string, unknown>) => (await create({ name: `Bad ${Math.random()}`, ...input })).fieldErrors?.map((e) => e.code);
    expect(await codes({ tokenEndpointAuthMethod: "PRIVATE_KEY_JWT" })).toEqual(["jwks_required"]);
    expect(await codes({ tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwks: JSON.stringify(jwksOf(key)), jwksUri: "https://keys.example.com/jwks" })).toEqual(["jwks_exclusive"]);
    const privateJwk = { ...key.publicJwk, d: "AAAA" };
    expect(await codes({ tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwks: JSON.stringify({ keys: [privateJwk] }) })).toEqual(["jwks_private_key"]);
    expect(await codes({ tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwks: "{not json" })).toEqual(["jwks_invalid"]);
    expect(await codes({ tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwksUri: "http://keys.example.com/jwks" })).toEqual(["jwks_uri_invalid"]);
    expect(await codes({ jwks: JSON.stringify(jwksOf(key)) })).toEqual(["jwks_needs_private_key_jwt"]);
    expect(await codes({ tokenEndpointAuthMethod: "NONE" })).toEqual(["auth_method_needs_public_client"]);
  });
});

describe("switching an application between secrets and public keys (GraphQL)", () => {
  const UPDATE = `mutation($input: UpdateConnectApplicationInput!) { updateConnectApplication(input: $input) {
    __typename
    ... on UpdateConnectApplicationSuccess { application { tokenEndpointAuthMethod jwks jwksUri clientSecrets { id active revokedAt } } }
    ... on ValidationError { fieldErrors { path code } } } }`;
  const ADD = `mutation($input: AddClientSecretInput!) { addClientSecret(input: $input) { __typename ... on AddClientSecretSuccess { plaintext clientSecret { id } } } }`;
  const gql = async (query: string, input: Record<string, unknown>) =>
    (await rawGraphql(server.url, query, { input }, { authorization: `Bearer ${admin.token}` })).body.data!;
  const addSecret = async (applicationId: string) =>
    (await gql(ADD, { applicationId, description: "worker" })).addClientSecret as { __typename: string; plaintext: string; clientSecret: { id: string } };

  it("revokes the secrets when the method becomes PRIVATE_KEY_JWT, at once, audited, and never revives them", async () => {
    const r = await create({ name: "Switcher" });
    const app = r.application!;
    const old = await addSecret(app.id);
    expect((await token({}, basic(app.clientId, old.plaintext))).status).toBe(200);

    const k = await newClientKey("ES256");
    const toKeys = await gql(UPDATE, { id: app.id, tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwks: JSON.stringify(jwksOf(k)) });
    expect(toKeys.updateConnectApplication).toMatchObject({
      __typename: "UpdateConnectApplicationSuccess",
      application: { tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", clientSecrets: [{ id: old.clientSecret.id, active: false, revokedAt: expect.any(String) }] },
    });
    // At once: the secret verified a moment ago (and cached as verified) is refused on the next request.
    const refused = await token({}, basic(app.clientId, old.plaintext));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe("invalid_client");
    expect((await withAssertion(await clientAssertion(k, app.clientId, server.url))).status).toBe(200);
    const events = await server.services.db.auditEvent.findMany({ where: { action: "client_secret.revoked", targetId: old.clientSecret.id } });
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.details)).toMatchObject({ applicationId: app.id, reason: "token_endpoint_auth_method_private_key_jwt" });

    // Back to secrets: the old one stays refused, a new one works.
    const back = await gql(UPDATE, { id: app.id, tokenEndpointAuthMethod: "CLIENT_SECRET_BASIC", jwks: null, jwksUri: null });
    expect(back.updateConnectApplication).toMatchObject({ application: { tokenEndpointAuthMethod: "CLIENT_SECRET_BASIC", jwks: null, jwksUri: null } });
    expect((await token({}, basic(app.clientId, old.plaintext))).status).toBe(401);
    expect((await withAssertion(await clientAssertion(k, app.clientId, server.url))).status).toBe(401);
    const fresh = await addSecret(app.id);
    expect(fresh.__typename).toBe("AddClientSecretSuccess");
    expect((await token({}, basic(app.clientId, fresh.plaintext))).status).toBe(200);
    expect((await token({}, basic(app.clientId, old.plaintext))).status).toBe(401);
  });

  it("revokes nothing when the switch is refused, and keeps keys out of a secret app", async () => {
    const app = (await create({ name: "Refused switch" })).application!;
    const secret = await addSecret(app.id);
    const refused = await gql(UPDATE, { id: app.id, tokenEndpointAuthMethod: "PRIVATE_KEY_JWT" });
    expect(refused.updateConnectApplication).toEqual({ __typename: "ValidationError", fieldErrors: [{ path: ["jwks"], code: "jwks_required" }] });
    expect((await token({}, basic(app.clientId, secret.plaintext))).status).toBe(200);
    // Leaving PRIVATE_KEY_JWT with the keys still set is refused: the keys go with the method.
    await gql(UPDATE, { id: app.id, tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwksUri: "https://keys.example.com/jwks" });
    const keep = await gql(UPDATE, { id: app.id, tokenEndpointAuthMethod: "CLIENT_SECRET_BASIC" });
    expect(keep.updateConnectApplication).toEqual({ __typename: "ValidationError", fieldErrors: [{ path: ["jwksUri"], code: "jwks_needs_private_key_jwt" }] });
  });
});

describe("client assertions at the token endpoint", () => {
  it("accepts an assertion whose aud is the issuer, once", async () => {
    const assertion = await clientAssertion(key, clientId, server.url);
    const first = await withAssertion(assertion);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: "Bearer", scope: "knowledge.portalmgr.read" });
    const again = await withAssertion(assertion);
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ error: "invalid_client" });
    expect(again.body.error_description).toContain("jti was already used");
  });

  it("refuses the token endpoint URL (and any list) as aud: the audience-injection attacks", async () => {
    for (const aud of [`${server.url}/oauth/token`, [server.url], [server.url, `${server.url}/oauth/token`], `${server.url}/`]) {
      const res = await withAssertion(await clientAssertion(key, clientId, aud));
      expect(res.status, JSON.stringify(aud)).toBe(401);
      expect(res.body.error).toBe("invalid_client");
    }
  });

  it("refuses iss other than sub, a missing or far exp, a missing jti, a key it does not know, and HMAC", async () => {
    const other = await newClientKey("ES256");
    const cases = [
      await clientAssertion(key, clientId, server.url, { iss: "someone-else" }),
      await clientAssertion(key, clientId, server.url, { noExp: true }),
      await clientAssertion(key, clientId, server.url, { expiresIn: 3600 }),
      await clientAssertion(key, clientId, server.url, { expiresIn: -120 }),
      await clientAssertion(other, clientId, server.url, { kid: key.kid }),
    ];
    const { SignJWT } = await import("jose");
    const now = Math.floor(Date.now() / 1000);
    cases.push(await new SignJWT({ iss: clientId, sub: clientId, aud: server.url, jti: "h1", exp: now + 60 }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("x".repeat(32))));
    cases.push(`${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(JSON.stringify({ iss: clientId, sub: clientId, aud: server.url, jti: "n1", exp: now + 60 })).toString("base64url")}.`);
    for (const assertion of cases) {
      const res = await withAssertion(assertion);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("invalid_client");
    }
  });

  it("with several registered keys under one kid, accepts the one that signed; refuses a future nbf", async () => {
    const [a, b] = [await newClientKey("ES256", "shared"), await newClientKey("ES256", "shared")];
    const r = await create({ name: "Two keys, one kid", tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwks: JSON.stringify(jwksOf(a, b)) });
    const twoKeys = r.application!.clientId;
    for (const k of [a, b]) expect((await withAssertion(await clientAssertion(k, twoKeys, server.url))).status).toBe(200);
    const stranger = await newClientKey("ES256", "shared");
    expect((await withAssertion(await clientAssertion(stranger, twoKeys, server.url))).body.error_description).toContain("no registered key verifies its signature");
    const { SignJWT } = await import("jose");
    const now = Math.floor(Date.now() / 1000);
    const early = await new SignJWT({ iss: clientId, sub: clientId, aud: server.url, jti: "nbf1", exp: now + 120, nbf: now + 90 }).setProtectedHeader({ alg: "ES256", kid: key.kid }).sign(key.privateKey);
    const res = await withAssertion(early);
    expect(res.status).toBe(401);
    expect(res.body.error_description).toContain("nbf");
  });

  it("refuses a wrong client_assertion_type, a client_id that differs, and two methods at once", async () => {
    expect((await token({ client_assertion_type: "urn:other", client_assertion: await clientAssertion(key, clientId, server.url) })).body.error).toBe("invalid_client");
    expect((await withAssertion(await clientAssertion(key, clientId, server.url), { client_id: "other" })).body.error).toBe("invalid_client");
    const both = await withAssertion(await clientAssertion(key, clientId, server.url), { client_secret: "sk_x_y" });
    expect(both.status).toBe(400);
    expect(both.body.error).toBe("invalid_request");
  });

  it("never lets a private_key_jwt app in with a secret, nor a secret app with an assertion", async () => {
    expect((await token({}, basic(clientId, "sk_anything_value"))).status).toBe(401);
    const res = await withAssertion(await clientAssertion(key, admin.clientId, server.url));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("invalid_client");
  });

  // Several processes share a database only on PostgreSQL: a second `serve` on an SQLite file
  // refuses to start, and there the one process remembers uses in memory (test/replay-store.test.ts).
  it.skipIf(!POSTGRES_URL)("refuses a jti another process already saw (the database store is shared)", async () => {
    // A second client on the same database stands for a second server process.
    const { db } = await createDb(server.database.url);
    try {
      const otherProcess = new DatabaseReplayStore(db);
      const jti = "shared-jti-1";
      expect(await otherProcess.firstUse(`pkjwt:${clientId}:${jti}`, new Date(Date.now() + 60_000))).toBe(true);
      const res = await withAssertion(await clientAssertion(key, clientId, server.url, { jti }));
      expect(res.status).toBe(401);
      expect(res.body.error_description).toContain("jti was already used");
      // An expired entry no longer blocks (it could not be replayed anyway: the assertion expired).
      expect(await otherProcess.firstUse("pkjwt:x:old", new Date(Date.now() - 1000))).toBe(true);
      expect(await otherProcess.firstUse("pkjwt:x:old", new Date(Date.now() + 60_000))).toBe(true);
      expect(await otherProcess.firstUse("pkjwt:x:old", new Date(Date.now() + 60_000))).toBe(false);
    } finally {
      await db.$disconnect();
    }
  });

  it("refuses (503) when the replay store cannot answer, rather than letting a replay through", async () => {
    const broken = new DatabaseReplayStore({ usedJti: { create: () => Promise.reject(new Error("down")) } } as never);
    await expect(broken.firstUse("k", new Date())).rejects.toBeInstanceOf(ReplayStoreUnavailable);
    const services = server.services as { replays: unknown };
    const real = services.replays;
    services.replays = broken;
    try {
      const res = await withAssertion(await clientAssertion(key, clientId, server.url));
      expect(res.status).toBe(503);
      expect(res.body.error).toBe("temporarily_unavailable");
    } finally {
      services.replays = real;
    }
  });
});

describe("jwksUri", () => {
  it("fetches the keys, fetches again once on an unknown kid, and keeps the minimum refresh interval", async () => {
    const keys = await jwksServer();
    try {
      const a = await newClientKey("RS256");
      const b = await newClientKey("EdDSA");
      const c = await newClientKey("ES256");
      keys.state.body = JSON.stringify(jwksOf(a));
      const r = await create({ name: "Remote keys", tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwksUri: `${keys.url}/jwks` });
      const id = r.application!.clientId;
      server.services.clientKeys.settings.minRefreshMs = 0;
      expect((await withAssertion(await clientAssertion(a, id, server.url))).status).toBe(200);
      expect((await withAssertion(await clientAssertion(a, id, server.url))).status).toBe(200);
      expect(keys.state.fetches).toBe(1);
      // Rotated: an unknown kid makes one more fetch.
      keys.state.body = JSON.stringify(jwksOf(a, b));
      expect((await withAssertion(await clientAssertion(b, id, server.url))).status).toBe(200);
      expect(keys.state.fetches).toBe(2);
      // Within the minimum interval, unknown kids are refused without a fetch each.
      server.services.clientKeys.settings.minRefreshMs = 60_000;
      server.services.clientKeys.forget(`${keys.url}/jwks`);
      await withAssertion(await clientAssertion(a, id, server.url));
      const before = keys.state.fetches;
      for (let i = 0; i < 3; i++) expect((await withAssertion(await clientAssertion(c, id, server.url))).status).toBe(401);
      expect(keys.state.fetches).toBe(before);
    } finally {
      server.services.clientKeys.settings.minRefreshMs = 30_000;
      await keys.close();
    }
  });

  it("refuses keys that come too slowly or are too large", async () => {
    const keys = await jwksServer();
    const silent = await startSilentServer();
    try {
      const a = await newClientKey("ES256");
      keys.state.body = JSON.stringify({ ...jwksOf(a), padding: "x".repeat(70 * 1024) });
      const big = (await create({ name: "Big keys", tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwksUri: `${keys.url}/big` })).application!.clientId;
      const res = await withAssertion(await clientAssertion(a, big, server.url));
      expect(res.status).toBe(401);
      expect(res.body.error_description).toContain("too large");
      server.services.clientKeys.settings.timeoutMs = 300;
      const slow = (await create({ name: "Slow keys", tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwksUri: `${silent.url}/jwks` })).application!.clientId;
      const started = Date.now();
      const late = await withAssertion(await clientAssertion(a, slow, server.url));
      expect(late.status).toBe(401);
      expect(late.body.error_description).toContain("could not be fetched");
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      server.services.clientKeys.settings.timeoutMs = 3000;
      await keys.close();
      await silent.close();
    }
  });
});

describe("dynamic registration", () => {
  it("registers a private_key_jwt client with jwks: no secret, the keys echoed, and the assertion works", async () => {
    const made = await rawGraphql(
      server.url,
      `mutation($input: CreateRegistrationTokenInput!) { createRegistrationToken(input: $input) { __typename ... on CreateRegistrationTokenSuccess { plaintext } } }`,
      { input: { organizationId: admin.organizationId, expiresInDays: 1, maxUses: 1 } },
      { authorization: `Bearer ${admin.token}` },
    );
    const initial = (made.body.data!.createRegistrationToken as { plaintext: string }).plaintext;
    const k = await newClientKey("PS256");
    const res = await fetch(`${server.url}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${initial}` },
      body: JSON.stringify({ client_name: "Registered signer", grant_types: ["client_credentials"], token_endpoint_auth_method: "private_key_jwt", jwks: jwksOf(k), scope: "knowledge.portalmgr.read" }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.client_secret).toBeUndefined();
    expect(body).toMatchObject({ token_endpoint_auth_method: "private_key_jwt", jwks: jwksOf(k) });
    const ok = await withAssertion(await clientAssertion(k, body.client_id as string, server.url));
    expect(ok.status).toBe(200);
  });
});
