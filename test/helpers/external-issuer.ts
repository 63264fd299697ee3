// A real external identity provider for token-exchange tests: a second HTTP server on
// 127.0.0.1 publishing its metadata and JWKS, and signing tokens with its own jose key.
import http from "node:http";
import type net from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

export interface ExternalIssuer {
  issuer: string;
  jwksUri: string;
  /** JWKS requests served so far. */
  jwksHits(): number;
  /** Signs with the published key, or with `key` (e.g. one the JWKS does not publish). */
  sign(claims: JWTPayload, options?: { key?: { privateKey: CryptoKey; kid: string }; typ?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function newSigningKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  return { privateKey, publicKey, kid };
}

export async function startExternalIssuer(): Promise<ExternalIssuer> {
  const key = await newSigningKey("idp-key-1");
  const jwk: JWK = { ...(await exportJWK(key.publicKey)), kid: key.kid, alg: "ES256", use: "sig" };
  let hits = 0;
  let base = "";
  const server = http.createServer((req, res) => {
    const send = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/.well-known/openid-configuration") return send({ issuer: base, jwks_uri: `${base}/keys` });
    if (req.url === "/keys") {
      hits += 1;
      return send({ keys: [jwk] });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    issuer: base,
    jwksUri: `${base}/keys`,
    jwksHits: () => hits,
    async sign(claims, options = {}) {
      const signer = options.key ?? key;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iat: now, exp: now + 300, iss: base, ...claims })
        .setProtectedHeader({ alg: "ES256", kid: signer.kid, typ: options.typ ?? "JWT" })
        .sign(signer.privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Accepts connections and never answers: a provider that cannot be reached in time. */
export async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer(() => undefined);
  server.on("connection", (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
