// src/crypto/jws.ts, the node:crypto verifier behind DPoP proofs and private_key_jwt
// assertions, checked against jose (written by others) as the reference: what jose signs with
// each algorithm verifies here, jose's thumbprints are ours, and what jose's jwtVerify refused
// (a key of the wrong kind, a short RSA key, `crit`, malformed parts) is refused here too.
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { JwsError, jwkThumbprint, keyFitsAlg, parseCompactJws, publicKeyFromJwk, verifyJwsSignature, type AsymmetricAlg } from "../src/crypto/jws.ts";

const made = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
/** The `n`th key pair for `alg`, made once (2048-bit RSA takes a while). */
function keyPair(alg: AsymmetricAlg | "RSA1024", n = 0): { privateKey: KeyObject; publicKey: KeyObject } {
  const id = `${alg}/${n}`;
  if (!made.has(id)) made.set(id, newKeyPair(alg));
  return made.get(id)!;
}
function newKeyPair(alg: AsymmetricAlg | "RSA1024"): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case "ES256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" });
    case "RS256":
    case "PS256":
      return generateKeyPairSync("rsa", { modulusLength: 2048 });
    case "RSA1024":
      return generateKeyPairSync("rsa", { modulusLength: 1024 });
    case "EdDSA":
      return generateKeyPairSync("ed25519");
  }
}

const sign = (alg: string, privateKey: KeyObject, header: Record<string, unknown> = {}) =>
  new SignJWT({ sub: "client", jti: "j" }).setProtectedHeader({ alg, ...header }).sign(privateKey);

describe("verifyJwsSignature", () => {
  for (const alg of ["ES256", "RS256", "PS256", "EdDSA"] as const) {
    it(`verifies what jose signs with ${alg}, and nothing tampered with or signed by another key`, async () => {
      const { privateKey, publicKey } = keyPair(alg);
      const token = await sign(alg, privateKey);
      const jws = parseCompactJws(token);
      expect(jws.payload).toEqual({ sub: "client", jti: "j" });
      expect(await verifyJwsSignature(jws, publicKey, alg)).toBe(true);
      // The payload changed, the signature kept.
      const [h, , s] = token.split(".");
      const forged = `${h}.${Buffer.from(JSON.stringify({ sub: "admin", jti: "j" })).toString("base64url")}.${s}`;
      expect(await verifyJwsSignature(parseCompactJws(forged), publicKey, alg)).toBe(false);
      expect(await verifyJwsSignature(jws, keyPair(alg, 1).publicKey, alg)).toBe(false);
    });
  }

  it("refuses a key of another kind than the alg names, and RSA keys under 2048 bits", async () => {
    const ec = keyPair("ES256");
    const rsa = keyPair("RS256");
    expect(keyFitsAlg(ec.publicKey, "RS256")).toBe(false);
    expect(keyFitsAlg(rsa.publicKey, "ES256")).toBe(false);
    expect(keyFitsAlg(keyPair("EdDSA").publicKey, "ES256")).toBe(false);
    expect(keyFitsAlg(generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey, "ES256")).toBe(false);
    expect(keyFitsAlg(ec.privateKey, "ES256")).toBe(false);
    const short = keyPair("RSA1024");
    expect(keyFitsAlg(short.publicKey, "RS256")).toBe(false);
    // jose refuses to sign with it at all; one made with node:crypto is refused here.
    const input = `${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from("{}").toString("base64url")}`;
    const token = `${input}.${nodeSign("sha256", Buffer.from(input), short.privateKey).toString("base64url")}`;
    expect(await verifyJwsSignature(parseCompactJws(token), short.publicKey, "RS256")).toBe(false);
    // An ES256 signature of the wrong length never reaches OpenSSL.
    const es = parseCompactJws(await sign("ES256", ec.privateKey));
    expect(await verifyJwsSignature({ ...es, signature: Buffer.concat([es.signature, Buffer.alloc(1)]) }, ec.publicKey, "ES256")).toBe(false);
  });
});

describe("parseCompactJws", () => {
  it("refuses what is not three base64url parts of JSON objects, and any crit extension", async () => {
    const { privateKey } = keyPair("ES256");
    const good = await sign("ES256", privateKey);
    const [h, p, s] = good.split(".");
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const bad = [
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}..${s}`,
      `${h}.${p}.`,
      `.${p}.${s}`,
      `${h}.${p}+.${s}`,
      `${h}.${p}.${s}=`,
      `${part([1, 2])}.${p}.${s}`,
      `${h}.${part("text")}.${s}`,
      `${h}.${part(null)}.${s}`,
      `${Buffer.from("{not json").toString("base64url")}.${p}.${s}`,
      `${part({ alg: "ES256", crit: ["b64"], b64: false })}.${p}.${s}`,
    ];
    for (const token of bad) expect(() => parseCompactJws(token), token.slice(0, 60)).toThrow(JwsError);
    expect(parseCompactJws(good).headerPart).toBe(h);
  });
});

describe("jwkThumbprint", () => {
  it("is RFC 7638's, as jose computes it, for EC, RSA and OKP keys whatever extra members they carry", async () => {
    for (const alg of ["ES256", "RS256", "EdDSA"] as const) {
      const jwk = (await exportJWK(keyPair(alg).publicKey)) as JWK;
      const withExtras = { ...jwk, kid: "k1", use: "sig", alg };
      expect(jwkThumbprint(withExtras as Record<string, unknown>)).toBe(await calculateJwkThumbprint(jwk, "sha256"));
    }
    expect(() => jwkThumbprint({ kty: "oct", k: "AAAA" })).toThrow(JwsError);
    expect(() => jwkThumbprint({ kty: "EC", crv: "P-256", x: "AA" })).toThrow(JwsError);
  });

  it("publicKeyFromJwk reads public JWKs and refuses symmetric ones", async () => {
    const jwk = await exportJWK(keyPair("ES256").publicKey);
    expect(publicKeyFromJwk(jwk as Record<string, unknown>).asymmetricKeyType).toBe("ec");
    expect(() => publicKeyFromJwk({ kty: "oct", k: "AAAA" })).toThrow(JwsError);
    expect(() => publicKeyFromJwk({ kty: "EC", crv: "P-256", x: "AA", y: "BB" })).toThrow(JwsError);
  });
});
