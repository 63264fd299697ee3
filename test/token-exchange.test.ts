// RFC 8693 token exchange and on-behalf-of over real HTTP, with a real external identity
// provider: a second local HTTP server publishing its metadata and JWKS and signing tokens
// with its own key, registered as the organization's identity provider through GraphQL.
import { decodeJwt } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicId } from "../src/ids.ts";
import {
  AddSecretDocument,
  AuditEventsDocument,
  CreateApplicationDocument,
  GrantScopesDocument,
  LinkExternalIdentityDocument,
  RegisterIdentityProviderDocument,
  UpdateOnBehalfOfDocument,
} from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorize, authorizePath, pkcePair } from "./helpers/agent.ts";
import { newSigningKey, startExternalIssuer, startSilentServer, type ExternalIssuer } from "./helpers/external-issuer.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TT = {
  access: "urn:ietf:params:oauth:token-type:access_token",
  jwt: "urn:ietf:params:oauth:token-type:jwt",
  id: "urn:ietf:params:oauth:token-type:id_token",
  email: "urn:scopekeeper:params:oauth:token-type:email",
  userId: "urn:scopekeeper:params:oauth:token-type:user-id",
};
const AUDIENCE = "api://scopekeeper";
const SUB_AUDIENCE = "api://scopekeeper-by-sub";
/** The bundled hubs declare no audience: theirs is under the issuer (set in beforeAll). */
let KNOWLEDGE = "";
let CORE = "";
const CALLBACK = "https://client.example.test/callback";
const OBO_READ = "knowledge.portalmgr.onbehalfof.read";

let server: TestServer;
let admin: Admin;
let outsiders: Admin;
let idp: ExternalIssuer;
let alice: { id: string; email: string; password: string };
let bob: { id: string; email: string; password: string };
let carol: { id: string; email: string; password: string };
let subProviderId: string;

interface App {
  id: string;
  clientId: string;
  secret: string;
}
let exchanger: App; // tokenExchange on, 900 s
let plain: App; // no switches
let obo: App; // onBehalfOfEnabled + onBehalfOfNamedSubjects
let obo2: App; // onBehalfOfEnabled, to nest act
let front: App; // where alice signs in

async function registerApp(name: string, extra: Record<string, unknown>, scopes: string[], owner = admin): Promise<App> {
  const res = await graphql(server.url, owner.token, CreateApplicationDocument, {
    input: { name, applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: owner.organizationId, redirectUris: [{ uri: CALLBACK }], ...extra } as never,
  });
  const r = res.data.createConnectApplication;
  if (r.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(r));
  const g = await graphql(server.url, owner.token, GrantScopesDocument, { input: { applicationId: r.application.id, scopes, kind: "DELEGATED" } });
  if (g.data.grantScopes.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(g.data));
  const s = await graphql(server.url, owner.token, AddSecretDocument, { input: { applicationId: r.application.id } });
  if (s.data.addClientSecret.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(s.data));
  return { id: r.application.id, clientId: r.application.clientId, secret: s.data.addClientSecret.plaintext };
}

const token = (app: App, form: Record<string, string>) => postForm(`${server.url}/oauth/token`, form, basic(app.clientId, app.secret));

const exchange = (app: App, subjectToken: string, extra: Record<string, string> = {}) =>
  token(app, { grant_type: EXCHANGE, subject_token: subjectToken, subject_token_type: TT.jwt, scope: "knowledge.portalmgr.read", ...extra });

const oboExchange = (app: App, subjectToken: string, extra: Record<string, string> = {}) =>
  token(app, { grant_type: EXCHANGE, subject_token: subjectToken, subject_token_type: TT.access, scope: OBO_READ, ...extra });

const aliceClaims = () => ({ sub: "okta|alice", aud: AUDIENCE, email: "Alice@Acme.test", email_verified: true });

/** A person's access token from this server, through the real authorization code flow. */
async function signIn(user: { email: string; password: string }, scope = "knowledge.portalmgr.read") {
  const { verifier, challenge } = pkcePair();
  const url = await authorize(new Agent(server.url), { response_type: "code", client_id: front.clientId, redirect_uri: CALLBACK, scope, state: "s", code_challenge: challenge, code_challenge_method: "S256" }, user);
  const res = await token(front, { grant_type: "authorization_code", code: url.searchParams.get("code")!, redirect_uri: CALLBACK, code_verifier: verifier });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

function expectNoTokenEchoed(body: Record<string, unknown>, tokenValue: string) {
  const description = String(body.error_description ?? "");
  expect(description.length).toBeGreaterThan(10);
  for (const part of tokenValue.split(".")) if (part.length > 8) expect(description).not.toContain(part);
}

beforeAll(async () => {
  server = await startTestServer();
  KNOWLEDGE = `${server.url}/hubs/knowledge`;
  CORE = `${server.url}/hubs/core`;
  idp = await startExternalIssuer();
  admin = await bootstrapAdmin(server, "Acme");
  outsiders = await bootstrapAdmin(server, "Outsiders");
  alice = await createUser(server, admin.organizationDbId, "alice@acme.test", "alice password 1");
  bob = await createUser(server, admin.organizationDbId, "bob@acme.test", "bob password 1");
  carol = await createUser(server, outsiders.organizationDbId, "carol@outsiders.test", "carol password");

  const email = await graphql(server.url, admin.token, RegisterIdentityProviderDocument, {
    input: { organizationId: admin.organizationId, name: "Okta", issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, subjectMapping: "EMAIL", clockSkewSeconds: 5 },
  });
  if (email.data.registerIdentityProvider.__typename !== "RegisterIdentityProviderSuccess") throw new Error(JSON.stringify(email.data));
  // Same issuer, another audience, keys discovered from the issuer's metadata, people by linked sub.
  const sub = await graphql(server.url, admin.token, RegisterIdentityProviderDocument, {
    input: { organizationId: admin.organizationId, name: "Okta by sub", issuer: idp.issuer, audience: SUB_AUDIENCE, subjectMapping: "SUB", clockSkewSeconds: 5 },
  });
  if (sub.data.registerIdentityProvider.__typename !== "RegisterIdentityProviderSuccess") throw new Error(JSON.stringify(sub.data));
  subProviderId = sub.data.registerIdentityProvider.identityProvider.id;
  const link = await graphql(server.url, admin.token, LinkExternalIdentityDocument, {
    input: { identityProviderId: subProviderId, subject: "okta|bob", userId: publicId("User", bob.id) },
  });
  expect(link.data.linkExternalIdentity.__typename).toBe("LinkExternalIdentitySuccess");

  const grants = ["knowledge.portalmgr.read", "knowledge.articles.read", "core.users.read", "offline_access"];
  exchanger = await registerApp("Exchanger", { tokenExchange: { enabled: true, accessTokenTtlSeconds: 900 } }, grants);
  plain = await registerApp("Plain", {}, grants);
  obo = await registerApp("Middle tier", { onBehalfOfEnabled: true }, [OBO_READ, "knowledge.portalmgr.read"]);
  obo2 = await registerApp("Downstream", { onBehalfOfEnabled: true }, [OBO_READ]);
  front = await registerApp("Front", {}, ["knowledge.portalmgr.read"]);
  const named = await graphql(server.url, admin.token, UpdateOnBehalfOfDocument, { input: { id: obo.id, onBehalfOfNamedSubjects: true } });
  expect(named.data.updateConnectApplication.__typename).toBe("UpdateConnectApplicationSuccess");
});

afterAll(async () => {
  await idp?.close();
  await server?.close();
});

describe("external token exchange", () => {
  it("exchanges a provider's JWT for a token of the mapped member, living as long as the app says, without refresh token", async () => {
    const subject = await idp.sign(aliceClaims());
    const res = await exchange(exchanger, subject);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issued_token_type: TT.access,
      token_type: "Bearer",
      expires_in: 900,
      scope: "knowledge.portalmgr.read",
    });
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.headers.get("cache-control")).toBe("no-store");
    const claims = decodeJwt(res.body.access_token as string);
    expect(claims).toMatchObject({ sub: publicId("User", alice.id), client_id: exchanger.clientId, org_id: admin.organizationId, aud: KNOWLEDGE });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(claims.act).toBeUndefined();
  });

  it("accepts each subject token type: jwt, access_token and id_token", async () => {
    for (const type of [TT.jwt, TT.access, TT.id]) {
      const res = await exchange(exchanger, await idp.sign(aliceClaims()), { subject_token_type: type });
      expect(res.status, type).toBe(200);
      expect(decodeJwt(res.body.access_token as string).sub).toBe(publicId("User", alice.id));
    }
  });

  it("maps a linked sub through the provider with discovered keys, and picks it by audience or identity_provider", async () => {
    const subject = await idp.sign({ sub: "okta|bob", aud: SUB_AUDIENCE });
    const byAudience = await exchange(exchanger, subject);
    expect(byAudience.status).toBe(200);
    expect(decodeJwt(byAudience.body.access_token as string).sub).toBe(publicId("User", bob.id));
    const named = await exchange(exchanger, subject, { identity_provider: subProviderId });
    expect(named.status).toBe(200);
  });

  it("fetches the provider's keys once and serves later exchanges from the cache", async () => {
    const before = idp.jwksHits();
    for (let i = 0; i < 5; i++) expect((await exchange(exchanger, await idp.sign(aliceClaims()))).status).toBe(200);
    expect(idp.jwksHits()).toBe(before);
    expect(before).toBeGreaterThanOrEqual(1);
  });

  it("refuses, as invalid_grant with a description that echoes no token, what the provider did not vouch for", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stranger = await newSigningKey("idp-key-1");
    const unknownKid = await newSigningKey("not-published");
    const cases: [string, Promise<string>, RegExp][] = [
      ["wrong audience", idp.sign({ ...aliceClaims(), aud: "api://someone-else" }), /aud/],
      ["expired", idp.sign({ ...aliceClaims(), iat: now - 600, exp: now - 60 }), /expired/],
      ["not yet valid", idp.sign({ ...aliceClaims(), nbf: now + 600 }), /not yet valid/],
      ["issued in the future", idp.sign({ ...aliceClaims(), iat: now + 600, exp: now + 900 }), /future/],
      ["wrong key, published kid", idp.sign(aliceClaims(), { key: stranger }), /signature/],
      ["wrong key, unknown kid", idp.sign(aliceClaims(), { key: unknownKid }), /signature/],
      ["unknown issuer", idp.sign({ ...aliceClaims(), iss: "https://idp.unknown.example" }), /issuer/],
      ["email_verified false", idp.sign({ ...aliceClaims(), email_verified: false }), /email_verified/],
      ["no email_verified", idp.sign({ sub: "okta|alice", aud: AUDIENCE, email: "alice@acme.test" }), /email_verified/],
      ["unknown email", idp.sign({ ...aliceClaims(), email: "nobody@acme.test" }), /email/],
      ["unmapped sub", idp.sign({ sub: "okta|unlinked", aud: SUB_AUDIENCE }), /linkExternalIdentity/],
      ["non-member", idp.sign({ ...aliceClaims(), email: carol.email }), /not a member/],
    ];
    for (const [label, pending, description] of cases) {
      const subject = await pending;
      const res = await exchange(exchanger, subject);
      expect(res.status, label).toBe(400);
      expect(res.body.error, label).toBe("invalid_grant");
      expect(String(res.body.error_description), label).toMatch(description);
      expectNoTokenEchoed(res.body, subject);
    }
    const garbage = await exchange(exchanger, "not-a-jwt");
    expect(garbage.body).toMatchObject({ error: "invalid_grant", error_description: "the subject token is not a JWT" });
  });

  it("fails quickly with invalid_grant when the provider's JWKS cannot be reached", async () => {
    const silent = await startSilentServer();
    try {
      const res = await graphql(server.url, admin.token, RegisterIdentityProviderDocument, {
        input: { organizationId: admin.organizationId, name: "Unreachable", issuer: silent.url, jwksUri: `${silent.url}/keys`, audience: AUDIENCE, subjectMapping: "EMAIL" },
      });
      expect(res.data.registerIdentityProvider.__typename).toBe("RegisterIdentityProviderSuccess");
      const subject = await idp.sign({ ...aliceClaims(), iss: silent.url });
      const started = Date.now();
      const answer = await exchange(exchanger, subject);
      const elapsed = Date.now() - started;
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe("invalid_grant");
      expect(String(answer.body.error_description)).toMatch(/keys/);
      expect(elapsed).toBeLessThan(5000);
      // The endpoint itself stays responsive meanwhile.
      expect((await exchange(exchanger, await idp.sign(aliceClaims()))).status).toBe(200);
    } finally {
      await silent.close();
    }
  });

  it("is unauthorized_client for an application without the switch", async () => {
    const res = await exchange(plain, await idp.sign(aliceClaims()));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("unauthorized_client");
    expect(String(res.body.error_description)).toMatch(/tokenExchange\.enabled/);
  });

  it("refuses scopes not granted as DELEGATED, on-behalf-of scopes and offline_access with invalid_scope", async () => {
    const subject = await idp.sign(aliceClaims());
    for (const scope of ["core.users.manage", OBO_READ, "offline_access knowledge.portalmgr.read"]) {
      const res = await exchange(exchanger, subject, { scope });
      expect(res.body.error, scope).toBe("invalid_scope");
    }
    const none = await token(exchanger, { grant_type: EXCHANGE, subject_token: subject, subject_token_type: TT.jwt });
    expect(none.body.error).toBe("invalid_scope");
  });

  it("answers invalid_request for a malformed request or an unsupported token type", async () => {
    const subject = await idp.sign(aliceClaims());
    const cases: Record<string, string>[] = [
      { subject_token_type: "urn:ietf:params:oauth:token-type:saml2" },
      { subject_token_type: "" },
      { requested_token_type: "urn:ietf:params:oauth:token-type:refresh_token" },
      { actor_token: subject, actor_token_type: TT.jwt },
      { identity_provider: "app_nope" },
    ];
    for (const extra of cases) {
      const res = await exchange(exchanger, subject, extra);
      expect(res.body.error, JSON.stringify(Object.keys(extra))).toBe("invalid_request");
      expectNoTokenEchoed(res.body, subject);
    }
    const missing = await token(exchanger, { grant_type: EXCHANGE, subject_token_type: TT.jwt, scope: "knowledge.portalmgr.read" });
    expect(missing.body).toMatchObject({ error: "invalid_request", error_description: "subject_token is required" });
  });

  it("narrows to one hub with resource or audience, and answers invalid_target outside it", async () => {
    const subject = await idp.sign(aliceClaims());
    const narrowed = await exchange(exchanger, subject, { resource: KNOWLEDGE, scope: "knowledge.portalmgr.read knowledge.articles.read" });
    expect(narrowed.status).toBe(200);
    expect(decodeJwt(narrowed.body.access_token as string).aud).toBe(KNOWLEDGE);
    expect((await exchange(exchanger, subject, { audience: KNOWLEDGE })).status).toBe(200);
    const cases: Record<string, string>[] = [
      { resource: KNOWLEDGE, scope: "knowledge.portalmgr.read core.users.read" },
      { audience: CORE },
      { resource: "https://api.unknown.example" },
      { resource: KNOWLEDGE, audience: CORE },
    ];
    for (const extra of cases) {
      const res = await exchange(exchanger, subject, extra);
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.error, JSON.stringify(extra)).toBe("invalid_target");
    }
  });

  it("refuses public clients and unauthenticated callers", async () => {
    const res = await postForm(`${server.url}/oauth/token`, { grant_type: EXCHANGE, client_id: exchanger.clientId, subject_token: "x", subject_token_type: TT.jwt, scope: "knowledge.portalmgr.read" });
    // A client without credentials is not a confidential client: 401 invalid_client.
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("invalid_client");
  });
});

describe("on-behalf-of", () => {
  it("issues a token for the person with act naming the acting app, from a token of the authorization code flow", async () => {
    const subject = await signIn(alice);
    const res = await oboExchange(obo, subject);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ issued_token_type: TT.access, token_type: "Bearer", scope: OBO_READ, expires_in: 3600 });
    const claims = decodeJwt(res.body.access_token as string);
    expect(claims).toMatchObject({ sub: publicId("User", alice.id), client_id: obo.clientId, act: { sub: obo.clientId }, aud: KNOWLEDGE });

    // Introspection shows who acts.
    const seen = await postForm(`${server.url}/oauth/introspect`, { token: res.body.access_token as string }, basic(obo.clientId, obo.secret));
    expect(seen.body).toMatchObject({ active: true, sub: publicId("User", alice.id), act: { sub: obo.clientId } });
  });

  it("nests act when the subject token already had one (RFC 8693 §4.1)", async () => {
    const first = await oboExchange(obo, await signIn(alice));
    const second = await oboExchange(obo2, first.body.access_token as string);
    expect(second.status).toBe(200);
    expect(decodeJwt(second.body.access_token as string).act).toEqual({ sub: obo2.clientId, act: { sub: obo.clientId } });
  });

  it("accepts a token exchanged from an identity provider as the subject", async () => {
    const exchanged = await exchange(exchanger, await idp.sign(aliceClaims()));
    const res = await oboExchange(obo, exchanged.body.access_token as string, { subject_token_type: TT.jwt });
    expect(res.status).toBe(200);
  });

  it("answers the Microsoft Entra jwt-bearer form the same way", async () => {
    const subject = await signIn(alice);
    const res = await token(obo, { grant_type: JWT_BEARER, requested_token_use: "on_behalf_of", assertion: subject, scope: OBO_READ });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ issued_token_type: TT.access, scope: OBO_READ });
    expect(decodeJwt(res.body.access_token as string).act).toEqual({ sub: obo.clientId });
    const plainBearer = await token(obo, { grant_type: JWT_BEARER, assertion: subject, scope: OBO_READ });
    expect(plainBearer.body.error).toBe("invalid_request");
    const off = await token(plain, { grant_type: JWT_BEARER, requested_token_use: "on_behalf_of", assertion: subject, scope: OBO_READ });
    expect(off.body.error).toBe("unauthorized_client");
  });

  it("refuses a scope not flagged onBehalfOf, and one not granted to the acting app", async () => {
    const subject = await signIn(alice);
    const notObo = await oboExchange(obo, subject, { scope: "knowledge.portalmgr.read" });
    expect(notObo.body.error).toBe("invalid_scope");
    expect(String(notObo.body.error_description)).toMatch(/onBehalfOf/);
    const notGranted = await oboExchange(obo, subject, { scope: "knowledge.portalmgr.onbehalfof.manage" });
    expect(notGranted.body.error).toBe("invalid_scope");
  });

  it("refuses a token an application got for itself", async () => {
    const res = await oboExchange(obo, admin.token);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_grant");
    expect(String(res.body.error_description)).toMatch(/application for itself/);
  });

  it("refuses a revoked subject token", async () => {
    const subject = await signIn(alice);
    const revoked = await postForm(`${server.url}/oauth/revoke`, { token: subject }, basic(front.clientId, front.secret));
    expect(revoked.status).toBe(200);
    const res = await oboExchange(obo, subject);
    expect(res.body.error).toBe("invalid_grant");
    expect(String(res.body.error_description)).toMatch(/revoked/);
    expectNoTokenEchoed(res.body, subject);
  });

  it("refuses a person who is neither a member of the acting app's organization nor consented to it", async () => {
    const foreign = await registerApp("Outsider OBO", { onBehalfOfEnabled: true }, [OBO_READ], outsiders);
    const res = await oboExchange(foreign, await signIn(alice));
    expect(res.body.error).toBe("invalid_grant");
    expect(String(res.body.error_description)).toMatch(/not a member/);
  });

  it("is unauthorized_client for an application without onBehalfOfEnabled", async () => {
    const res = await oboExchange(plain, await signIn(alice));
    expect(res.body.error).toBe("unauthorized_client");
    expect(String(res.body.error_description)).toMatch(/onBehalfOfEnabled/);
  });

  it("refuses on-behalf-of scopes in the authorization code flow", async () => {
    const res = await new Agent(server.url).request(
      authorizePath({ response_type: "code", client_id: obo.clientId, redirect_uri: CALLBACK, scope: OBO_READ, state: "s", code_challenge: pkcePair().challenge, code_challenge_method: "S256" }),
    );
    expect(res.status).toBe(303);
    const url = new URL(res.location!);
    expect(url.searchParams.get("error")).toBe("invalid_scope");
    expect(url.searchParams.get("error_description")).toMatch(/on-behalf-of/);
  });
});

describe("on-behalf-of by name", () => {
  it("acts for a member named by email or usr_ id, and records each issuance as an audit event", async () => {
    const byEmail = await token(obo, { grant_type: EXCHANGE, subject_token: "alice@acme.test", subject_token_type: TT.email, scope: OBO_READ });
    expect(byEmail.status).toBe(200);
    expect(decodeJwt(byEmail.body.access_token as string)).toMatchObject({ sub: publicId("User", alice.id), act: { sub: obo.clientId } });
    const byId = await token(obo, { grant_type: EXCHANGE, subject_token: publicId("User", bob.id), subject_token_type: TT.userId, scope: OBO_READ });
    expect(byId.status).toBe(200);
    expect(decodeJwt(byId.body.access_token as string).sub).toBe(publicId("User", bob.id));

    const events = await graphql(server.url, admin.token, AuditEventsDocument, { first: 50 });
    const issued = events.data.auditEvents.edges.map((e) => e.node).filter((n) => n.action === "on_behalf_of.issued");
    expect(issued).toHaveLength(2);
    expect(issued.map((n) => n.targetId).sort()).toEqual([publicId("User", alice.id), publicId("User", bob.id)].sort());
    const details = JSON.parse(issued[0]!.details) as Record<string, unknown>;
    expect(details).toMatchObject({ clientId: obo.clientId, applicationId: obo.id, scopes: [OBO_READ] });
    expect(issued[0]!.actorId).toBe(obo.clientId);
    expect(issued[0]!.details).not.toContain(byEmail.body.access_token as string);
  });

  it("refuses non-members and unknown people alike", async () => {
    for (const [subject, type] of [[carol.email, TT.email], [publicId("User", carol.id), TT.userId], ["nobody@acme.test", TT.email], ["usr_", TT.userId]] as const) {
      const res = await token(obo, { grant_type: EXCHANGE, subject_token: subject, subject_token_type: type, scope: OBO_READ });
      expect(res.body.error, subject).toBe("invalid_grant");
    }
  });

  it("is off by default: unauthorized_client", async () => {
    const res = await token(obo2, { grant_type: EXCHANGE, subject_token: "alice@acme.test", subject_token_type: TT.email, scope: OBO_READ });
    expect(res.body.error).toBe("unauthorized_client");
    expect(String(res.body.error_description)).toMatch(/onBehalfOfNamedSubjects/);
  });

  it("needs onBehalfOfEnabled", async () => {
    const res = await graphql(server.url, admin.token, UpdateOnBehalfOfDocument, { input: { id: plain.id, onBehalfOfNamedSubjects: true } });
    const r = res.data.updateConnectApplication;
    expect(r.__typename).toBe("ValidationError");
    if (r.__typename === "ValidationError") expect(r.fieldErrors[0]!.path).toEqual(["onBehalfOfNamedSubjects"]);
  });
});

describe("metadata", () => {
  it("lists the exchange grant types and token types", async () => {
    const doc = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, string[]>;
    expect(doc.grant_types_supported).toEqual(expect.arrayContaining([EXCHANGE, JWT_BEARER, "client_credentials"]));
    expect(doc.subject_token_types_supported).toEqual(expect.arrayContaining(Object.values(TT)));
    expect(doc.issued_token_types_supported).toEqual([TT.access]);
  });
});

describe("with oauth4webapi (strict client)", () => {
  const insecure = { [oauth.allowInsecureRequests]: true } as const; // the test server is http://127.0.0.1

  it("exchanges, acts on behalf, and surfaces errors as RFC 6749 error bodies", async () => {
    const issuer = new URL(server.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure }));
    const exchangeParams = (subject: string, type: string, scope: string) =>
      new URLSearchParams({ subject_token: subject, subject_token_type: type, scope });

    const external = await oauth.processGenericTokenEndpointResponse(
      as,
      { client_id: exchanger.clientId },
      await oauth.genericTokenEndpointRequest(as, { client_id: exchanger.clientId }, oauth.ClientSecretBasic(exchanger.secret), EXCHANGE, exchangeParams(await idp.sign(aliceClaims()), TT.jwt, "knowledge.portalmgr.read"), insecure),
    );
    expect(external).toMatchObject({ token_type: "bearer", expires_in: 900, issued_token_type: TT.access });

    const onBehalf = await oauth.processGenericTokenEndpointResponse(
      as,
      { client_id: obo.clientId },
      await oauth.genericTokenEndpointRequest(as, { client_id: obo.clientId }, oauth.ClientSecretBasic(obo.secret), EXCHANGE, exchangeParams(external.access_token, TT.access, OBO_READ), insecure),
    );
    expect(decodeJwt(onBehalf.access_token).act).toEqual({ sub: obo.clientId });

    const refused = oauth.processGenericTokenEndpointResponse(
      as,
      { client_id: plain.clientId },
      await oauth.genericTokenEndpointRequest(as, { client_id: plain.clientId }, oauth.ClientSecretBasic(plain.secret), EXCHANGE, exchangeParams(external.access_token, TT.access, OBO_READ), insecure),
    );
    await expect(refused).rejects.toMatchObject({ error: "unauthorized_client" });
  });
});
