// Several processes, one system (DESIGN "Several processes, one system"): a change made through
// one server holds in the others sharing the PostgreSQL database at once, through the change
// feed (src/changes/feed.ts), far below the caches' time bounds (1-4 s, 30 s for keys): a
// revoked token and secret, a demotion, an unpublished app, a removed identity provider, a member
// removed by the command line, a rotated key. Three
// servers with their own services and caches on one database; each refusal is polled with a
// deadline of 200 ms from the moment the change's request answered. A lost listening
// connection empties every cache when it is back.
import { decodeProtectedHeader } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inProcessFeed } from "../src/changes/feed.ts";
import { SigningKeys } from "../src/crypto/signing-keys.ts";
import { publicId } from "../src/ids.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "./helpers/database.ts";
import { basic, clientCredentialsToken, postForm } from "./helpers/http.ts";
import { consoleToken } from "./helpers/people.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";
import { metric, TEST_METRICS_TOKEN } from "./helpers/metrics.ts";
import { runCliInProcess } from "./helpers/cli.ts";

/** Far below every time bound (the shortest, revocations, is 1000 ms). */
const DEADLINE_MS = 200;
const SCOPE = "connect.applications.read connect.applications.manage";

/** Polls `check` until it holds; fails with the last value when DEADLINE_MS has passed. */
async function within<T>(what: string, read: () => Promise<T>, holds: (value: T) => boolean, deadlineMs = DEADLINE_MS): Promise<number> {
  const started = Date.now();
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (holds(last)) return Date.now() - started;
    if (Date.now() - started > deadlineMs) throw new Error(`${what}: still not seen after ${deadlineMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Where a server listens: they share one ISSUER (a's address), as servers behind one proxy do. */
const at = (server: TestServer) => `http://127.0.0.1:${server.config.port}`;

async function gql(server: TestServer, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${at(server)}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as { data?: Record<string, any>; errors?: unknown[] } | null };
}

const tokenStatus = async (server: TestServer, clientId: string, secret: string) =>
  (await postForm(`${at(server)}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read" }, basic(clientId, secret))).status;

describe("the in-process feed (SQLite, or CHANGE_FEED=off)", () => {
  it("runs this process's handlers at once, for the kind announced only", async () => {
    const feed = inProcessFeed();
    const seen: string[] = [];
    feed.on("application", (id) => seen.push(`application:${id}`));
    feed.on("membership", (id) => seen.push(`membership:${id}`));
    await feed.announce("application", "app_1");
    expect(seen).toEqual(["application:app_1"]);
    expect(feed.mode).toBe("in-process");
  });
});

describe.skipIf(POSTGRES_URL === undefined)("three servers on one PostgreSQL", () => {
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;
  let acme: Admin;

  beforeAll(async () => {
    database = await createTestDatabase();
    a = await startTestServer({ database });
    [b, c] = await Promise.all([
      startTestServer({ database, env: { ISSUER: a.url, METRICS_TOKEN: TEST_METRICS_TOKEN } }),
      startTestServer({ database, env: { ISSUER: a.url } }),
    ]);
    acme = await bootstrapAdmin(a, "Acme");
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), c?.close()]);
    await database?.drop();
  });

  it("listens on PostgreSQL in every server", () => {
    for (const s of [a, b, c]) expect({ mode: s.services.changes.mode, listening: s.services.changes.stats.listening }).toEqual({ mode: "postgresql", listening: true });
  });

  it("refuses an access token revoked through another server at once", async () => {
    const token = await clientCredentialsToken(at(b), acme.clientId, acme.clientSecret, SCOPE);
    // Each server has looked at the token and found it not revoked (cached for 1 s).
    for (const s of [b, c]) expect((await gql(s, token, "{ viewer { kind } }")).status).toBe(200);
    const revoked = await postForm(`${at(a)}/oauth/revoke`, { token, token_type_hint: "access_token" }, basic(acme.clientId, acme.clientSecret));
    expect(revoked.status).toBe(200);
    for (const s of [b, c]) await within("revoked token refused", async () => (await gql(s, token, "{ viewer { kind } }")).status, (status) => status === 401);
  });

  it("refuses a client secret revoked through another server at once", async () => {
    const appRow = await a.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: acme.clientId } });
    const added = await gql(a, acme.token, `mutation ($input: AddClientSecretInput!) { addClientSecret(input: $input) { __typename ... on AddClientSecretSuccess { plaintext clientSecret { id } } } }`, {
      input: { applicationId: publicId("ConnectApplication", appRow.id), description: "second" },
    });
    const { plaintext, clientSecret } = added.body!.data!.addClientSecret as { plaintext: string; clientSecret: { id: string } };
    // The servers know the secret (their client directories hold it for up to 4 s).
    for (const s of [b, c]) expect(await tokenStatus(s, acme.clientId, plaintext)).toBe(200);
    const revoked = await gql(a, acme.token, `mutation ($input: RevokeClientSecretInput!) { revokeClientSecret(input: $input) { __typename } }`, { input: { id: clientSecret.id } });
    expect(revoked.body!.data!.revokeClientSecret.__typename).toBe("RevokeClientSecretSuccess");
    for (const s of [b, c]) await within("revoked secret refused", () => tokenStatus(s, acme.clientId, plaintext), (status) => status === 401);
  });

  it("stops treating an ADMIN demoted through another server as ADMIN at once", async () => {
    const ada = await createUser(a, acme.organizationDbId, "ada@acme.test", undefined, "ADMIN");
    const bob = await createUser(a, acme.organizationDbId, "bob@acme.test", undefined, "ADMIN");
    // Bob's token carries no admin-consent scope, so the demotion does not end it: what changes is his role.
    const bobToken = (await consoleToken(a, bob, "openid connect.applications.read")).accessToken;
    const adaToken = (await consoleToken(a, ada)).accessToken;
    const roleAt = async (s: TestServer) => {
      const res = await gql(s, bobToken, "{ viewer { memberships { role organization { id } } } }");
      if (res.status !== 200) return `HTTP ${res.status}`;
      return (res.body!.data!.viewer.memberships as { role: string; organization: { id: string } }[]).find((m) => m.organization.id === acme.organizationId)?.role ?? "none";
    };
    // Twice: the second is a repeat the admin API's response cache may answer.
    for (const s of [b, c]) for (let i = 0; i < 2; i++) expect(await roleAt(s)).toBe("ADMIN");
    const demoted = await gql(a, adaToken, `mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { __typename } }`, {
      input: { organizationId: acme.organizationId, userId: publicId("User", bob.id), role: "MEMBER" },
    });
    expect(demoted.body!.data!.updateMemberRole.__typename).toBe("UpdateMemberRoleSuccess");
    for (const s of [b, c]) await within("demotion seen", () => roleAt(s), (role) => role === "MEMBER");
  });

  it("stops serving an application unpublished through another server at once", async () => {
    // Acme, bootstrapped first, operates the server: its ADMIN approves Globex's request.
    const globex = await bootstrapAdmin(a, "Globex");
    const ok = async (res: Awaited<ReturnType<typeof gql>>, field: string) => {
      const value = res.body?.data?.[field] as { __typename: string } | undefined;
      if (!value || value.__typename.endsWith("Error")) throw new Error(JSON.stringify(res.body));
      return value as any;
    };
    const created = await ok(
      await gql(a, globex.token, `mutation ($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) { __typename ... on CreateConnectApplicationSuccess { application { id clientId } } } }`, {
        input: {
          applicationType: "OAUTH",
          platform: "WEB",
          isFirstParty: false,
          organizationId: globex.organizationId,
          redirectUris: [{ uri: "https://client.example.test/callback" }],
          name: "Reports",
          description: "Weekly reports.",
          logoUri: "https://client.example.test/logo.png",
          termsOfServiceUri: "https://client.example.test/terms",
          privacyPolicyUri: "https://client.example.test/privacy",
        },
      }),
      "createConnectApplication",
    );
    const { id, clientId } = created.application as { id: string; clientId: string };
    await ok(await gql(a, globex.token, `mutation ($input: GrantScopesInput!) { grantScopes(input: $input) { __typename } }`, { input: { applicationId: id, scopes: ["openid", "email"], kind: "DELEGATED" } }), "grantScopes");
    const requested = await ok(
      await gql(a, globex.token, `mutation ($input: RequestPublicationInput!) { requestPublication(input: $input) { __typename ... on RequestPublicationSuccess { publicationRequest { id } } } }`, { input: { applicationId: id } }),
      "requestPublication",
    );
    await ok(await gql(a, acme.token, `mutation ($input: ApprovePublicationInput!) { approvePublication(input: $input) { __typename } }`, { input: { requestId: requested.publicationRequest.id } }), "approvePublication");
    // Every server serves it as PUBLIC now (their directories hold it for up to 4 s).
    for (const s of [b, c]) await within("published", async () => (await s.services.clients.get(clientId))?.visibility, (v) => v === "PUBLIC");
    await ok(await gql(a, globex.token, `mutation ($input: UnpublishApplicationInput!) { unpublishApplication(input: $input) { __typename } }`, { input: { applicationId: id } }), "unpublishApplication");
    for (const s of [b, c]) await within("unpublished", async () => (await s.services.clients.get(clientId))?.visibility, (v) => v === "PRIVATE");
  });

  it("forgets an identity provider removed through another server at once", async () => {
    const registered = await gql(a, acme.token, `mutation ($input: RegisterIdentityProviderInput!) { registerIdentityProvider(input: $input) { __typename ... on RegisterIdentityProviderSuccess { identityProvider { id } } } }`, {
      input: { organizationId: acme.organizationId, name: "Okta", issuer: "https://acme.okta.example", jwksUri: "https://acme.okta.example/keys", audience: "api://scopekeeper", subjectMapping: "EMAIL" },
    });
    const { id } = registered.body!.data!.registerIdentityProvider.identityProvider as { id: string };
    const names = async (s: TestServer) => (await s.services.identityProviderDirectory.ofOrganization(acme.organizationDbId)).map((p) => p.name);
    // Token exchange on B and C reads the organization's providers from their directories (2 s).
    for (const s of [b, c]) await within("registered", () => names(s), (n) => n.includes("Okta"));
    const removed = await gql(a, acme.token, `mutation ($input: RemoveIdentityProviderInput!) { removeIdentityProvider(input: $input) { __typename } }`, { input: { id } });
    expect(removed.body!.data!.removeIdentityProvider.__typename).toBe("RemoveIdentityProviderSuccess");
    for (const s of [b, c]) await within("removed", () => names(s), (n) => !n.includes("Okta"));
  });

  it("sees a member removed with `scopekeeper user remove` (another process) at once", async () => {
    const carol = await createUser(a, acme.organizationDbId, "carol@acme.test");
    const carolToken = (await consoleToken(a, carol, "openid connect.applications.read")).accessToken;
    const member = async (s: TestServer) => {
      const res = await gql(s, carolToken, "{ viewer { memberships { organization { id } } } }");
      return res.status === 200 && (res.body!.data!.viewer.memberships as { organization: { id: string } }[]).some((m) => m.organization.id === acme.organizationId);
    };
    for (const s of [b, c]) expect(await member(s)).toBe(true);
    const removed = await runCliInProcess(["user", "remove", "--org", acme.organizationId, "--email", carol.email], { DATABASE_URL: database.url });
    expect(removed.lines).toEqual([]);
    expect(removed.status).toBe(0);
    for (const s of [b, c]) await within("removal seen", () => member(s), (still) => !still);
  });

  it("signs with a key rotated through another server at once, and publishes it", async () => {
    const kidOf = async (s: TestServer) => decodeProtectedHeader(await clientCredentialsToken(at(s), acme.clientId, acme.clientSecret, SCOPE)).kid;
    const before = await kidOf(b);
    const { kid } = await a.services.keys.rotate();
    expect(kid).not.toBe(before);
    for (const s of [b, c]) {
      await within("new key used", () => kidOf(s), (used) => used === kid);
      const jwks = (await (await fetch(`${at(s)}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toContain(kid);
    }
  });

  it("empties every cache when the listening connection comes back", async () => {
    const kidOf = async (s: TestServer) => decodeProtectedHeader(await clientCredentialsToken(at(s), acme.clientId, acme.clientSecret, SCOPE)).kid;
    const before = await kidOf(b);
    // A rotation nobody announces (as if its notice was lost): b keeps signing with the old key
    // (its periodic reload is 30 s away).
    const silent = new SigningKeys({ db: a.services.db, encryptionSecret: a.config.keyEncryptionSecret, publishRetiredForSeconds: 3900 });
    const { kid } = await silent.rotate();
    expect(await kidOf(b)).toBe(before);
    const resets = b.services.changes.stats.resets;
    // Every server's listening connection is cut, as a restart of PostgreSQL or a network blip would.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const cut = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()");
      expect(cut.rowCount).toBeGreaterThanOrEqual(3);
    } finally {
      await admin.end();
    }
    await within("listening again", async () => b.services.changes.stats, (s) => s.listening && s.resets > resets, 5000);
    await within("caches emptied", () => kidOf(b), (used) => used === kid);
    // What an operator sees: the loss, the reset, and listening again.
    const metrics = { ...b, url: at(b) };
    expect(await metric(metrics, "scopekeeper_change_feed_events_total", { event: "reset" })).toBeGreaterThanOrEqual(1);
    expect(await metric(metrics, "scopekeeper_change_feed_events_total", { event: "failure" })).toBeGreaterThanOrEqual(1);
    expect(await metric(metrics, "scopekeeper_change_feed_listening")).toBe(1);
  });
});
