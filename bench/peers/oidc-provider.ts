// node-oidc-provider configured like Scopekeeper's benchmarked path: one confidential client
// authenticating with client_secret_basic, the client_credentials grant, an ES256 signing key
// (made with jose), and RFC 9068 JWT access tokens through resource indicators with a default
// resource, for the scope knowledge.portalmgr.read. It keeps its state in the in-memory adapter
// (oidc-provider's default) and compares the client secret as plaintext: no database and no
// password hash on its path, unlike Scopekeeper.
//
// Env: PORT, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET. Prints {"ready":true,...} once listening.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

const port = Number(process.env.PORT ?? 0);
const host = "127.0.0.1";
if (!port) throw new Error("PORT is required: the issuer names it");
const clientId = process.env.BENCH_CLIENT_ID ?? "bench-client";
const clientSecret = process.env.BENCH_CLIENT_SECRET ?? "bench-secret";
const SCOPE = "knowledge.portalmgr.read";
const AUDIENCE = "https://api.example.com/knowledge";

const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
const jwk = await exportJWK(privateKey);
const kid = await calculateJwkThumbprint(await exportJWK(publicKey));

const provider = new Provider(`http://${host}:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      scope: SCOPE,
      // The only key is ES256; the default (RS256) would have no key to sign with.
      id_token_signed_response_alg: "ES256",
    },
  ],
  jwks: { keys: [{ ...jwk, kid, alg: "ES256", use: "sig" }] },
  scopes: [SCOPE],
  cookies: { keys: [randomBytes(32).toString("base64url")] },
  routes: { token: "/oauth/token" },
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => AUDIENCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: SCOPE,
        audience: AUDIENCE,
        accessTokenTTL: 3600,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "ES256" } },
      }),
    },
  },
});
provider.on("server_error", (_ctx, err) => console.error("oidc-provider server_error", err));

const server = createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => {
  console.log(JSON.stringify({ ready: true, port, kid }));
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
