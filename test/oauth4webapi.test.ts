// The whole flow driven by a strict, real OAuth client library (panva/oauth4webapi): discovery,
// authorization code with PKCE, ID token validation, refresh, introspection and revocation,
// for a confidential WEB app and a public SPA.
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddSecretDocument, CreateApplicationDocument, GrantScopesDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorize } from "./helpers/agent.ts";
import { graphql } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const CALLBACK = "https://rp.example.test/callback";
const insecure = { [oauth.allowInsecureRequests]: true } as const; // the test server is http://127.0.0.1

let server: TestServer;
let admin: Admin;
let user: { email: string; password: string; id: string };
let as: oauth.AuthorizationServer;

async function register(platform: "WEB" | "SPA") {
  const res = await graphql(server.url, admin.token, CreateApplicationDocument, {
    input: { name: `RP ${platform}`, applicationType: "OAUTH", platform, isFirstParty: false, organizationId: admin.organizationId, redirectUris: [{ uri: CALLBACK }] },
  });
  const r = res.data.createConnectApplication;
  if (r.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(r));
  await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: r.application.id, scopes: ["openid", "email", "offline_access", "knowledge.portalmgr.read"] } });
  let secret: string | undefined;
  if (platform === "WEB") {
    const s = await graphql(server.url, admin.token, AddSecretDocument, { input: { applicationId: r.application.id } });
    if (s.data.addClientSecret.__typename === "AddClientSecretSuccess") secret = s.data.addClientSecret.plaintext;
  }
  return { clientId: r.application.clientId, secret };
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Acme");
  user = await createUser(server, admin.organizationDbId, "rp-user@acme.test", "rp user password");
  const issuer = new URL(server.url);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...insecure }));
});
afterAll(async () => server?.close());

for (const platform of ["WEB", "SPA"] as const) {
  describe(`a ${platform === "WEB" ? "confidential WEB" : "public SPA"} client`, () => {
    it("completes authorization code + PKCE, validates the ID token, refreshes, and revokes", async () => {
      const { clientId, secret } = await register(platform);
      const client: oauth.Client = { client_id: clientId };
      const clientAuth = secret ? oauth.ClientSecretBasic(secret) : oauth.None();
      const verifier = oauth.generateRandomCodeVerifier();
      const challenge = await oauth.calculatePKCECodeChallenge(verifier);
      const state = oauth.generateRandomState();
      const nonce = oauth.generateRandomNonce();

      const callback = await authorize(
        new Agent(server.url),
        { response_type: "code", client_id: clientId, redirect_uri: CALLBACK, scope: "openid email offline_access knowledge.portalmgr.read", state, nonce, code_challenge: challenge, code_challenge_method: "S256" },
        user,
      );
      // Checks state and the RFC 9207 iss parameter.
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, CALLBACK, verifier, insecure);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
      const claims = oauth.getValidatedIdTokenClaims(tokens)!;
      expect(claims).toMatchObject({ iss: server.url, aud: clientId, sub: `usr_${user.id}`, nonce, email: user.email });
      expect(tokens.scope).toBe("openid email offline_access knowledge.portalmgr.read");

      const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, insecure));
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

      if (secret) {
        const active = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, clientAuth, refreshed.access_token, insecure));
        expect(active).toMatchObject({ active: true, client_id: clientId, sub: `usr_${user.id}` });
      }
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token!, insecure));
      await expect(
        oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token!, insecure)),
      ).rejects.toMatchObject({ error: "invalid_grant" });
    });
  });
}
