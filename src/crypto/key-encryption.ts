// Envelope encryption of private signing keys at rest (AES-256-GCM, key derived with HKDF).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";

function deriveKey(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "scopekeeper", "signing-key-encryption", 32));
}

export function encryptPrivateKey(plaintext: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

export function decryptPrivateKey(envelope: string, secret: string): string {
  const [version, iv, tag, body] = envelope.split(".");
  if (version !== VERSION || !iv || !tag || !body) throw new Error("unrecognised private key envelope");
  const decipher = createDecipheriv("aes-256-gcm", deriveKey(secret), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("cannot decrypt a signing key: SCOPEKEEPER_KEY_ENCRYPTION_SECRET differs from the one it was stored with");
  }
}
