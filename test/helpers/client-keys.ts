// Client-side keys for private_key_jwt assertions (RFC 7523) and DPoP proofs (RFC 9449), made
// the way a client library would, with knobs to break each rule on purpose.
import { createHash, randomUUID } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";

export interface ClientKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  jkt: string;
}

export async function newClientKey(alg = "ES256", kid: string = randomUUID()): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  const jkt = await calculateJwkThumbprint(await exportJWK(publicKey), "sha256");
  return { alg, kid, privateKey, publicJwk, jkt };
}

export const jwksOf = (...keys: ClientKey[]) => ({ keys: keys.map((k) => k.publicJwk) });

export async function clientAssertion(
  key: ClientKey,
  clientId: string,
  aud: string | string[],
  overrides: { iss?: string; sub?: string; jti?: string; expiresIn?: number; noExp?: boolean; kid?: string | null } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: overrides.iss ?? clientId,
    sub: overrides.sub ?? clientId,
    aud,
    jti: overrides.jti ?? randomUUID(),
    iat: now,
    ...(overrides.noExp ? {} : { exp: now + (overrides.expiresIn ?? 60) }),
  };
  const kid = overrides.kid === null ? {} : { kid: overrides.kid ?? key.kid };
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, ...kid }).sign(key.privateKey);
}

export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export async function dpopProof(
  key: ClientKey,
  htm: string,
  htu: string,
  options: { nonce?: string; accessToken?: string; jti?: string; iat?: number; typ?: string; jwk?: JWK } = {},
): Promise<string> {
  const jwk = options.jwk ?? { kty: key.publicJwk.kty!, crv: key.publicJwk.crv, x: key.publicJwk.x, y: key.publicJwk.y, n: key.publicJwk.n, e: key.publicJwk.e };
  const claims: Record<string, unknown> = {
    htm,
    htu,
    jti: options.jti ?? randomUUID(),
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...(options.accessToken ? { ath: createHash("sha256").update(options.accessToken).digest("base64url") } : {}),
  };
  const cleanJwk = Object.fromEntries(Object.entries(jwk).filter(([, v]) => v !== undefined));
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: options.typ ?? "dpop+jwt", jwk: cleanJwk }).sign(key.privateKey);
}

/** A GraphQL request with any headers (a DPoP-bound token, a proof). */
export async function rawGraphql(baseUrl: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, headers: res.headers, body: body as { data?: Record<string, any>; errors?: { message: string }[] } };
}
