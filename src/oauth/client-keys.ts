// The public keys an application signs its private_key_jwt assertions with (RFC 7523): its
// registered `jwks`, or the JWK Set at its `jwksUri`. A jwksUri is fetched with a timeout and a
// size limit, cached, and fetched again on an unknown `kid`, but never more often than the
// minimum refresh interval (an attacker's made-up kids cannot turn us into a fetch loop).
import { createLocalJWKSet, createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from "jose";
import { LRUCache } from "lru-cache";

export interface ClientKeySettings {
  /** A jwksUri answer slower than this fails. */
  timeoutMs: number;
  /** A jwksUri answer larger than this fails. */
  maxBytes: number;
  /** A jwksUri is fetched again (unknown kid) at most this often. */
  minRefreshMs: number;
  /** A fetched key set is used without a new fetch for this long. */
  maxAgeMs: number;
  /** Plain http on loopback (development and tests only). */
  allowLoopbackHttp: boolean;
}

export const CLIENT_KEY_DEFAULTS: ClientKeySettings = {
  timeoutMs: 3000,
  maxBytes: 64 * 1024,
  minRefreshMs: 30_000,
  maxAgeMs: 10 * 60_000,
  allowLoopbackHttp: false,
};

export class ClientKeyError extends Error {
  override name = "ClientKeyError";
}

/** Reads a response body up to `max` bytes; more is an error, not a truncation. */
async function boundedFetch(url: string, init: RequestInit, max: number): Promise<Response> {
  const response = await fetch(url, { ...init, redirect: "error" });
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) throw new ClientKeyError("the application's JWK Set is too large");
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new ClientKeyError("the application's JWK Set is too large");
    }
    chunks.push(value);
  }
  return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers });
}

export function isAcceptableJwksUri(uri: string, allowLoopbackHttp: boolean): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash) return false;
  if (url.protocol === "https:") return true;
  return allowLoopbackHttp && url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]");
}

export class ClientKeySets {
  readonly settings: ClientKeySettings;
  readonly #local = new LRUCache<string, JWTVerifyGetKey>({ max: 5000 });
  readonly #remote = new LRUCache<string, JWTVerifyGetKey>({ max: 5000 });

  constructor(settings: Partial<ClientKeySettings> = {}) {
    this.settings = { ...CLIENT_KEY_DEFAULTS, ...settings };
  }

  /** The app's key resolver (jose's JWK Set lookup by kid and alg); throws ClientKeyError when it has no usable keys. */
  resolver(app: { jwks: string | null; jwksUri: string | null }): JWTVerifyGetKey {
    if (app.jwks) {
      let keys = this.#local.get(app.jwks);
      if (!keys) {
        try {
          keys = createLocalJWKSet(JSON.parse(app.jwks) as Parameters<typeof createLocalJWKSet>[0]);
        } catch {
          throw new ClientKeyError("the application's registered jwks is not a JWK Set");
        }
        this.#local.set(app.jwks, keys);
      }
      return keys;
    }
    if (app.jwksUri) {
      if (!isAcceptableJwksUri(app.jwksUri, this.settings.allowLoopbackHttp)) throw new ClientKeyError("the application's jwksUri is not usable");
      let keys = this.#remote.get(app.jwksUri);
      if (!keys) {
        const { timeoutMs, maxBytes, minRefreshMs, maxAgeMs } = this.settings;
        keys = createRemoteJWKSet(new URL(app.jwksUri), {
          timeoutDuration: timeoutMs,
          cooldownDuration: minRefreshMs,
          cacheMaxAge: maxAgeMs,
          [customFetch]: (url, init) => boundedFetch(url, init as RequestInit, maxBytes),
        });
        this.#remote.set(app.jwksUri, keys);
      }
      return keys;
    }
    throw new ClientKeyError("the application has no registered public keys");
  }

  /** After an application's jwksUri changed or was removed. */
  forget(jwksUri: string | null): void {
    if (jwksUri) this.#remote.delete(jwksUri);
  }
}
