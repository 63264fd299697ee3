// Upstream OpenID providers for the single sign-on tests.
// - startOidcProvider: node-oidc-provider in this process, a real OpenID Provider (discovery,
//   PKCE, its own login and consent pages, ES256 ID tokens). Any login is accepted; `accounts`
//   says which claims an account has (default: its login as a verified email).
// - startScriptedUpstream: a bare provider whose token endpoint answers whatever ID token the
//   test scripts, to produce what a real provider would not (a wrong audience, a foreign nonce).
import { randomBytes } from "node:crypto";
import http from "node:http";
import type net from "node:net";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import Provider from "oidc-provider";

export interface Upstream {
  issuer: string;
  close(): Promise<void>;
}

export async function startOidcProvider(opts: {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  accounts?: Record<string, Record<string, unknown>>;
}): Promise<Upstream> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "ES256",
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" }] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    scopes: ["openid", "email", "profile"],
    // The email goes in the ID token itself, not only at userinfo.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, email: sub, email_verified: true, ...(opts.accounts?.[sub] ?? {}) }),
    }),
  });
  // The developer login pages would print a warning per request otherwise.
  provider.on("server_error", () => undefined);
  server.on("request", provider.callback());
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ScriptedUpstream extends Upstream {
  /** The claims of the next ID token (merged over iss, aud = the client, sub, nonce, exp, iat). */
  nextClaims: (request: { nonce: string; clientId: string }) => JWTPayload;
}

/** Authorization answers at once with a code; the token endpoint signs what `nextClaims` says. */
export async function startScriptedUpstream(): Promise<ScriptedUpstream> {
  const key = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(key.publicKey)), kid: "scripted", alg: "ES256", use: "sig" };
  const codes = new Map<string, { nonce: string; clientId: string }>();
  let issuer = "";
  const upstream: ScriptedUpstream = {
    issuer: "",
    nextClaims: () => ({}),
    close: async () => undefined,
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(200, { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` });
    }
    if (url.pathname === "/jwks") return json(200, { keys: [jwk] });
    if (url.pathname === "/authorize") {
      const code = randomBytes(16).toString("hex");
      codes.set(code, { nonce: url.searchParams.get("nonce") ?? "", clientId: url.searchParams.get("client_id") ?? "" });
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(303, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === "/token" && req.method === "POST") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const request = codes.get(form.get("code") ?? "");
      if (!request) return json(400, { error: "invalid_grant" });
      codes.delete(form.get("code")!);
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new SignJWT({ iss: issuer, aud: request.clientId, sub: "scripted-1", nonce: request.nonce, iat: now, exp: now + 300, ...upstream.nextClaims(request) })
        .setProtectedHeader({ alg: "ES256", kid: "scripted" })
        .sign(key.privateKey);
      return json(200, { access_token: "at", token_type: "Bearer", expires_in: 300, id_token: idToken });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  upstream.issuer = issuer;
  upstream.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return upstream;
}
