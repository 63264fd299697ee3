// Client authentication for the token, revocation and introspection endpoints
// (RFC 6749 §2.3.1: client_secret_basic and client_secret_post; exactly one of them).
import type { FastifyRequest } from "fastify";
import type { ClientView } from "../applications/client-directory.ts";
import type { Services } from "../services.ts";
import { InvalidClient, InvalidRequest } from "./errors.ts";

export const TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"] as const;

export interface AuthenticatedClient {
  view: ClientView;
  method: (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
}

function parseBasic(header: string): { id: string; secret: string } {
  const encoded = header.slice(6).trim();
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw new InvalidRequest("malformed Basic authorization header");
  // Fast path: our client ids and secrets never need form-decoding.
  if (!decoded.includes("%") && !decoded.includes("+")) return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " ")),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " ")),
    };
  } catch {
    throw new InvalidRequest("malformed Basic authorization header");
  }
}

function authFailure(basic: boolean): InvalidClient {
  return new InvalidClient("client authentication failed", basic ? "Basic" : "none");
}

/**
 * `allowPublic`: public clients (SPA, NATIVE) may identify themselves by client_id alone
 * (`none`), where the grant binds them another way (PKCE for codes, rotation for refresh).
 */
export async function authenticateClient(
  request: FastifyRequest,
  body: Record<string, string>,
  services: Services,
  { allowPublic = false }: { allowPublic?: boolean } = {},
): Promise<AuthenticatedClient> {
  const header = request.headers.authorization;
  const basic = header && /^basic /i.test(header) ? parseBasic(header) : null;
  const post = body.client_secret !== undefined;
  if (basic && post) throw new InvalidRequest("use one client authentication method, not both");
  if (!basic && !post) {
    if (allowPublic && body.client_id) {
      const view = await services.clients.get(body.client_id);
      // A confidential client must prove itself with its secret; `none` is for public clients only.
      if (!view || view.confidential) throw new InvalidClient("client authentication failed", "none");
      return { view, method: "none" };
    }
    throw new InvalidRequest("client authentication is required (client_secret_basic or client_secret_post)");
  }
  const method = basic ? "client_secret_basic" : "client_secret_post";
  const clientId = basic ? basic.id : body.client_id;
  const secret = basic ? basic.secret : body.client_secret!;
  if (!clientId) throw new InvalidRequest("client_id is required");
  if (basic && body.client_id !== undefined && body.client_id !== clientId) {
    throw new InvalidRequest("client_id in the body differs from the authenticated client");
  }
  const view = await services.clients.get(clientId);
  // One message for unknown client, wrong, revoked and expired secret: nothing to probe.
  if (!view || !view.confidential) throw authFailure(basic !== null);
  const secretId = await services.secretVerifier.verify(view, secret);
  if (!secretId) throw authFailure(basic !== null);
  services.lastUsed.touch(secretId);
  return { view, method };
}
