// The metadata (RFC 8414, OpenID Connect Discovery) lists everything served: every endpoint it
// names answers, and every OAuth endpoint a client calls is named in it, with the methods,
// algorithms and grants the server implements.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let doc: Record<string, unknown>;

/** The OAuth endpoints clients call (people's browsers reach the pages: login, consent, device, account). */
const CLIENT_ENDPOINTS = ["/oauth/authorize", "/oauth/token", "/oauth/par", "/oauth/revoke", "/oauth/introspect", "/oauth/userinfo", "/oauth/register", "/oauth/device_authorization", "/oauth/logout"];

/** Routes under /oauth open to other origins (CORS preflight): only clients call those. */
function corsOAuthPaths(): string[] {
  // Fastify's route tree; top-level lines carry the full path: "├── oauth/token (OPTIONS, POST)".
  const tree = server.app.printRoutes({ commonPrefix: false });
  return [...tree.matchAll(/── (oauth\/[\w/-]+) \(([^)]*)\)/g)].filter((m) => m[2]!.includes("OPTIONS")).map((m) => `/${m[1]!}`);
}

beforeAll(async () => {
  server = await startTestServer();
  doc = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
});
afterAll(async () => server?.close());

describe("the metadata lists everything served", () => {
  it("every OAuth endpoint a client calls is named in the metadata, and every route open to other origins is one of them", () => {
    const named = new Set(Object.values(doc).filter((v): v is string => typeof v === "string" && v.startsWith(server.url)).map((v) => v.slice(server.url.length)));
    expect(CLIENT_ENDPOINTS.filter((p) => !named.has(p))).toEqual([]);
    const cors = corsOAuthPaths();
    expect(cors).toEqual(expect.arrayContaining(["/oauth/token", "/oauth/par"]));
    expect(cors.filter((p) => !named.has(p))).toEqual([]);
  });

  it("every endpoint the metadata names answers (none is 404)", async () => {
    const urls = Object.entries(doc).filter(([k, v]) => (k.endsWith("_endpoint") || k === "jwks_uri") && typeof v === "string");
    expect(urls.map(([k]) => k).sort()).toEqual(
      [
        "authorization_endpoint",
        "device_authorization_endpoint",
        "end_session_endpoint",
        "introspection_endpoint",
        "jwks_uri",
        "pushed_authorization_request_endpoint",
        "registration_endpoint",
        "revocation_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
      ].sort(),
    );
    for (const [key, url] of urls) {
      const get = await fetch(url as string, { redirect: "manual" });
      const post = await fetch(url as string, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" });
      expect([get.status, post.status].some((s) => s !== 404), key).toBe(true);
    }
  });

  it("names the grants, client authentications, algorithms and options implemented", () => {
    expect(doc.grant_types_supported).toEqual(
      expect.arrayContaining([
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:token-exchange",
      ]),
    );
    expect(doc.token_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]);
    expect(doc.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(["ES256", "RS256", "PS256", "EdDSA"]));
    expect(doc.token_endpoint_auth_signing_alg_values_supported).not.toContain("HS256");
    expect(doc.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(["ES256"]));
    expect(doc.code_challenge_methods_supported).toEqual(["S256"]);
    expect(doc.require_pushed_authorization_requests).toBe(false);
    expect(doc.authorization_response_iss_parameter_supported).toBe(true);
  });
});
