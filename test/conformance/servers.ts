// The two servers the differential conformance suite drives with the same client library:
// Scopekeeper (a real server over a real database, as every integration test) and
// node-oidc-provider in this process, configured alike: the same kinds of clients, the same
// scopes, PKCE required, DPoP with server nonces, PAR, the device flow, client credentials,
// and the hub audience as the resource (RFC 8707) of `knowledge.portalmgr.read`.
// Each is reached only through its metadata; the browser's part is driven over HTTP with
// cookies (Scopekeeper: its sign-in and consent forms; the reference: an interaction endpoint
// that signs the one test account in and grants what is asked, as a consent page would).
import { randomBytes } from "node:crypto";
import http from "node:http";
import type net from "node:net";
import { exportJWK, generateKeyPair, type CryptoKey } from "jose";
import * as oauth from "oauth4webapi";
import Provider, { errors as providerErrors } from "oidc-provider";
import { AddSecretDocument, GrantScopesDocument } from "../gql/graphql.ts";
import { bootstrapAdmin } from "../helpers/admin.ts";
import { Agent, authorize as authorizeAtScopekeeper, authorizePath, type AgentResponse } from "../helpers/agent.ts";
import { graphql } from "../helpers/http.ts";
import { rawGraphql } from "../helpers/client-keys.ts";
import { startTestServer } from "../helpers/server.ts";
import { createUser } from "../helpers/users.ts";

export const CALLBACK = "https://client.example.test/callback";
export const USER_SCOPE = "openid offline_access knowledge.portalmgr.read";
export const API_SCOPE = "knowledge.portalmgr.read";
export const insecure = { [oauth.allowInsecureRequests]: true } as const; // both listen on http://127.0.0.1

export interface SecretClient {
  client: oauth.Client;
  secret: string;
}

export interface Target {
  name: "scopekeeper" | "reference";
  issuer: string;
  as: oauth.AuthorizationServer;
  /** The audience (RFC 8707 resource) of knowledge.portalmgr.read. */
  resource: string;
  /** Confidential, authorization code + refresh, client_secret_basic. */
  web: SecretClient;
  /** Public, device flow. */
  tv: { client: oauth.Client };
  /** Client credentials with client_secret_basic and client_secret_post. */
  m2mBasic: SecretClient;
  m2mPost: SecretClient;
  /** Client credentials with private_key_jwt. */
  m2mJwt: { client: oauth.Client; key: { key: CryptoKey; kid: string } };
  /** Drives a browser from the authorization request to the redirect back to CALLBACK. */
  authorize(params: Record<string, string>, agent?: Agent): Promise<{ url: URL; agent: Agent }>;
  /** The first step only: where the browser is sent, and what the page says when there is no redirect. */
  visit(params: Record<string, string>, agent?: Agent): Promise<{ status: number; location: string | null; text: string }>;
  /** A person types the user code, signs in and allows the device. */
  approveDevice(userCode: string): Promise<void>;
  close(): Promise<void>;
}

async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  return oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, { algorithm: "oidc", ...insecure }));
}

async function signingKey() {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = randomBytes(8).toString("hex");
  return { key: { key: privateKey, kid }, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }] } };
}

/** Follows redirects with cookies, posting a page's hidden form fields when it shows one, until `stop` says so. */
async function walk(agent: Agent, start: string, stop: (r: AgentResponse) => boolean, extraForm: Record<string, string> = {}): Promise<AgentResponse> {
  let res = await agent.request(start);
  let from = start;
  for (let i = 0; i < 15; i++) {
    if (stop(res)) return res;
    if (res.status >= 300 && res.status < 400 && res.location) {
      from = new URL(res.location, from).toString();
      res = await agent.request(from);
      continue;
    }
    const action = /<form[^>]*action="([^"]+)"/.exec(res.text)?.[1];
    if (res.status !== 200 || !action) return res;
    from = new URL(action, from).toString();
    res = await agent.request(from, { form: { ...Agent.formFields(res.text), ...extraForm } });
  }
  throw new Error("too many steps");
}

export async function startScopekeeperTarget(): Promise<Target> {
  const server = await startTestServer();
  const admin = await bootstrapAdmin(server, "Conformance Corp");
  const alice = await createUser(server, admin.organizationDbId, "alice@conformance.test");

  const create = async (input: Record<string, unknown>, delegated: string[] | null) => {
    const made = (await rawGraphql(
      server.url,
      `mutation($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) { __typename ... on CreateConnectApplicationSuccess { application { id clientId } } ... on ValidationError { fieldErrors { path message } } } }`,
      { input: { organizationId: admin.organizationId, ...input } },
      { authorization: `Bearer ${admin.token}` },
    )).body.data!.createConnectApplication;
    if (made.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(made));
    if (delegated) {
      const g = await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: made.application.id, kind: "DELEGATED", scopes: delegated } });
      if (g.data.grantScopes.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(g.data));
    }
    return made.application as { id: string; clientId: string };
  };
  const secretOf = async (id: string) => {
    const s = await graphql(server.url, admin.token, AddSecretDocument, { input: { applicationId: id } });
    if (s.data.addClientSecret.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(s.data));
    return s.data.addClientSecret.plaintext;
  };

  const web = await create({ name: "Web", applicationType: "OAUTH", platform: "WEB", isFirstParty: false, redirectUris: [{ uri: CALLBACK }] }, USER_SCOPE.split(" "));
  const tv = await create({ name: "TV", applicationType: "OAUTH", platform: "NATIVE", usesPkce: true, isFirstParty: false, redirectUris: [{ uri: "http://127.0.0.1/callback" }] }, USER_SCOPE.split(" "));
  const m2m = await create({ name: "Worker", applicationType: "M2M", scopes: [API_SCOPE] }, null);
  const { key, jwks } = await signingKey();
  const m2mJwt = await create({ name: "Signed worker", applicationType: "M2M", scopes: [API_SCOPE], tokenEndpointAuthMethod: "PRIVATE_KEY_JWT", jwks: JSON.stringify(jwks) }, null);
  const webSecret = await secretOf(web.id);
  const m2mSecret = await secretOf(m2m.id);

  return {
    name: "scopekeeper",
    issuer: server.url,
    as: await discover(server.url),
    resource: `${server.url}/hubs/knowledge`,
    web: { client: { client_id: web.clientId }, secret: webSecret },
    tv: { client: { client_id: tv.clientId } },
    m2mBasic: { client: { client_id: m2m.clientId }, secret: m2mSecret },
    m2mPost: { client: { client_id: m2m.clientId }, secret: m2mSecret },
    m2mJwt: { client: { client_id: m2mJwt.clientId }, key },
    async authorize(params, agent = new Agent(server.url)) {
      return { url: await authorizeAtScopekeeper(agent, params, alice), agent };
    },
    async visit(params, agent = new Agent(server.url)) {
      const res = await agent.request(authorizePath(params));
      return { status: res.status, location: res.location, text: res.text };
    },
    async approveDevice(userCode) {
      const agent = new Agent(server.url);
      const page = await agent.request("/oauth/device");
      const entered = await agent.request("/oauth/device", { form: { ...Agent.formFields(page.text), user_code: userCode } });
      let res = await agent.request(entered.location!);
      if (res.status === 303 && res.location!.startsWith("/oauth/login")) {
        const login = await agent.login(alice.email, alice.password, res.location!);
        res = await agent.request(login.location!);
      }
      const done = await agent.request("/oauth/device/confirm", { form: { ...Agent.formFields(res.text), decision: "approve" } });
      if (done.status !== 200) throw new Error(`device approval failed: ${done.status}`);
    },
    close: () => server.close(),
  };
}

export async function startReferenceTarget(): Promise<Target> {
  const httpServer = http.createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(httpServer.address() as net.AddressInfo).port}`;
  const resource = `${issuer}/hubs/knowledge`;
  const server = await signingKey();
  const client = await signingKey();
  const secrets = { web: randomBytes(24).toString("base64url"), m2m: randomBytes(24).toString("base64url") };
  const accountId = "alice";

  const provider = new Provider(issuer, {
    clients: [
      { client_id: "web", client_secret: secrets.web, redirect_uris: [CALLBACK], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic" },
      { client_id: "tv", application_type: "native", redirect_uris: [], response_types: [], grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"], token_endpoint_auth_method: "none" },
      { client_id: "m2m-basic", client_secret: secrets.m2m, redirect_uris: [], response_types: [], grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_basic" },
      { client_id: "m2m-post", client_secret: secrets.m2m, redirect_uris: [], response_types: [], grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_post" },
      { client_id: "m2m-jwt", jwks: client.jwks, redirect_uris: [], response_types: [], grant_types: ["client_credentials"], token_endpoint_auth_method: "private_key_jwt" },
    ],
    // Scopekeeper signs everything with ES256.
    clientDefaults: { id_token_signed_response_alg: "ES256" },
    jwks: { keys: [{ ...(await exportJWK(server.key.key)), kid: server.key.kid, alg: "ES256", use: "sig" }] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    scopes: ["openid", "offline_access", API_SCOPE],
    claims: { openid: ["sub"] },
    pkce: { required: () => true },
    // Scopekeeper issues refresh tokens for offline_access without prompt=consent.
    issueRefreshToken: async (_ctx: unknown, c: { grantTypeAllowed(g: string): boolean }, code: { scopes: Set<string> }) => c.grantTypeAllowed("refresh_token") && code.scopes.has("offline_access"),
    // Scopekeeper's lifetimes; the pages below only need to be readable by walk().
    ttl: { AccessToken: 3600, AuthorizationCode: 60, ClientCredentials: 3600, DeviceCode: 600, Grant: 3600, IdToken: 3600, Interaction: 600, PushedAuthorizationRequest: 60, RefreshToken: 30 * 86400, Session: 8 * 3600 },
    renderError: async (ctx: { type: string; body: string }, out: { error: string }) => {
      ctx.type = "html";
      ctx.body = `<p>${out.error.replace(/[^a-z_]/g, "")}</p>`;
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (ctx: { body: string }, form: string) => void (ctx.body = `<html>${form}</html>`),
        userCodeConfirmSource: async (ctx: { body: string }, form: string) => void (ctx.body = `<html>${form}</html>`),
        successSource: async (ctx: { body: string }) => void (ctx.body = "<html>You can return to your device.</html>"),
      },
      introspection: { enabled: true },
      revocation: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== resource) throw new providerErrors.InvalidTarget!();
          return { scope: API_SCOPE, audience: resource, accessTokenFormat: "jwt", jwt: { sign: { alg: "ES256" } } };
        },
      },
    },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
  });
  provider.on("server_error", () => undefined);
  const callback = provider.callback();

  // The person's part: sign the test account in, then grant what the request asks.
  httpServer.on("request", (req, res) => {
    if (!req.url?.startsWith("/interaction/")) return callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === "login") {
        return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
      }
      const grant = details.grantId ? ((await provider.Grant.find(details.grantId)) ?? null) : null;
      const g = grant ?? new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
      if (missingOIDCScope) g.addOIDCScope(missingOIDCScope.join(" "));
      if (missingOIDCClaims) g.addOIDCClaims(missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) g.addResourceScope(indicator, scopes.join(" "));
      const grantId = await g.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    })().catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });

  const as = await discover(issuer);
  return {
    name: "reference",
    issuer,
    as,
    resource,
    web: { client: { client_id: "web" }, secret: secrets.web },
    tv: { client: { client_id: "tv" } },
    m2mBasic: { client: { client_id: "m2m-basic" }, secret: secrets.m2m },
    m2mPost: { client: { client_id: "m2m-post" }, secret: secrets.m2m },
    m2mJwt: { client: { client_id: "m2m-jwt" }, key: client.key },
    async authorize(params, agent = new Agent(issuer)) {
      const start = `${as.authorization_endpoint}?${new URLSearchParams(params).toString()}`;
      const res = await walk(agent, start, (r) => Boolean(r.location?.startsWith(CALLBACK)));
      if (!res.location?.startsWith(CALLBACK)) throw new Error(`expected a redirect to the client, got ${res.status}: ${res.text.slice(0, 300)}`);
      return { url: new URL(res.location), agent };
    },
    async visit(params, agent = new Agent(issuer)) {
      const res = await agent.request(`${as.authorization_endpoint}?${new URLSearchParams(params).toString()}`);
      return { status: res.status, location: res.location, text: res.text };
    },
    async approveDevice(userCode) {
      const agent = new Agent(issuer);
      // The code form, its confirmation form, then the interaction: it ends on a page without a form.
      const res = await walk(agent, `${issuer}/device`, () => false, { user_code: userCode });
      if (res.status !== 200) throw new Error(`device approval failed: ${res.status} ${res.text.slice(0, 200)}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
}
