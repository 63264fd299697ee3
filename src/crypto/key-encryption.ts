// Envelope encryption of private signing keys at rest (AES-256-GCM, key derived with HKDF).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";

/** What a key is for (HKDF info): a signing key's envelope never opens as a provider's secret. */
type Purpose = "signing-key-encryption" | "identity-provider-secret" | "totp-secret";

function deriveKey(secret: string, purpose: Purpose = "signing-key-encryption"): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "scopekeeper", purpose, 32));
}

export function encryptPrivateKey(plaintext: string, secret: string, purpose: Purpose = "signing-key-encryption"): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

export function decryptPrivateKey(envelope: string, secret: string, purpose: Purpose = "signing-key-encryption"): string {
  const [version, iv, tag, body] = envelope.split(".");
  if (version !== VERSION || !iv || !tag || !body) throw new Error("unrecognised private key envelope");
  const decipher = createDecipheriv("aes-256-gcm", deriveKey(secret, purpose), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("cannot decrypt a signing key: SCOPEKEEPER_KEY_ENCRYPTION_SECRET differs from the one it was stored with");
  }
}

const PLAIN = "plain:";

/**
 * An identity provider's client secret at rest: sealed with SCOPEKEEPER_KEY_ENCRYPTION_SECRET
 * when it is set (as signing keys are), kept as is otherwise (development), marked either way.
 */
export function sealProviderSecret(plaintext: string, secret: string | undefined): string {
  return sealSecret(plaintext, secret, "identity-provider-secret");
}

export function openProviderSecret(sealed: string, secret: string | undefined): string {
  return openSecret(sealed, secret, "identity-provider-secret");
}

const WHAT: Record<Exclude<Purpose, "signing-key-encryption">, string> = {
  "identity-provider-secret": "an identity provider's client secret",
  "totp-secret": "an authenticator app's secret",
};

/** A secret the server must read back (a provider's client secret, a TOTP key), sealed for one purpose. */
export function sealSecret(plaintext: string, secret: string | undefined, purpose: Exclude<Purpose, "signing-key-encryption">): string {
  return secret ? encryptPrivateKey(plaintext, secret, purpose) : `${PLAIN}${plaintext}`;
}

export function openSecret(sealed: string, secret: string | undefined, purpose: Exclude<Purpose, "signing-key-encryption">): string {
  if (sealed.startsWith(PLAIN)) return sealed.slice(PLAIN.length);
  if (!secret) throw new Error(`${WHAT[purpose]} is sealed but SCOPEKEEPER_KEY_ENCRYPTION_SECRET is not set`);
  try {
    return decryptPrivateKey(sealed, secret, purpose);
  } catch {
    throw new Error(`cannot open ${WHAT[purpose]}: SCOPEKEEPER_KEY_ENCRYPTION_SECRET differs from the one it was sealed with`);
  }
}
