// Where the server fetches an identity provider's metadata and keys: checked when a provider is
// registered (src/applications/identity-providers.ts) and again for every jwks_uri a discovery
// document names (external-tokens.ts).

/** Same bound as the other URIs an organization registers. */
export const PROVIDER_URL_MAX = 2000;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Keys and metadata are fetched from these URLs, so only https. Plain http on loopback is for
 * local development and tests only: in production it would let a tenant's ADMIN make the
 * server call services listening on its own loopback.
 */
export function checkProviderUrl(value: string, allowLoopbackHttp: boolean): string | null {
  if (value.length > PROVIDER_URL_MAX) return `must be at most ${PROVIDER_URL_MAX} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URL";
  }
  if (url.hash || url.username || url.password) return "must not carry a fragment or credentials";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && LOOPBACK.has(url.hostname) && allowLoopbackHttp) return null;
  return allowLoopbackHttp ? "must use https (http only on a loopback address)" : "must use https";
}
