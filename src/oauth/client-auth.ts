// Client authentication for the token, revocation and introspection endpoints
// (RFC 6749 §2.3.1: client_secret_basic and client_secret_post; RFC 7523: private_key_jwt,
// in client-assertion.ts; exactly one of them).
import type { FastifyRequest } from "fastify";
import type { ClientView } from "../applications/client-directory.ts";
import type { Services } from "../services.ts";
import type { Reservation } from "../throttles/failure-throttle.ts";
import { markThrottled } from "../observability/throttle-reasons.ts";
import { throttleAddress } from "../throttles/addresses.ts";
import { Throttled } from "../throttles/throttled.ts";
import { CLIENT_ASSERTION_TYPE, readClientAssertion, verifyClientAssertion } from "./client-assertion.ts";
import { InvalidClient, InvalidRequest, TooManyRequests } from "./errors.ts";
import { hasControlCharacter } from "./params.ts";

export const TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"] as const;

export interface AuthenticatedClient {
  view: ClientView;
  method: (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
  /** RFC 9449: the thumbprint of the DPoP key this request proved (token endpoint only). */
  dpopJkt?: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_CREDENTIAL_LENGTH = 512;
const BAD_BASIC = "malformed Basic credentials";

/** Credentials no client of ours can have: refused before they reach a query. */
function checkCredential(value: string): void {
  if (value.length > MAX_CREDENTIAL_LENGTH || hasControlCharacter(value)) throw new InvalidClient(BAD_BASIC);
}

function parseBasic(header: string): { id: string; secret: string } {
  const encoded = header.slice(6).trim();
  if (!BASE64.test(encoded)) throw new InvalidClient(BAD_BASIC);
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  // Bytes that are not UTF-8 decode to U+FFFD: no client id or secret of ours contains it.
  if (decoded.includes("\uFFFD")) throw new InvalidClient(BAD_BASIC);
  const colon = decoded.indexOf(":");
  if (colon < 0) throw new InvalidClient(BAD_BASIC);
  let id = decoded.slice(0, colon);
  let secret = decoded.slice(colon + 1);
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64; ours never need decoding.
  if (decoded.includes("%") || decoded.includes("+")) {
    try {
      id = decodeURIComponent(id.replace(/\+/g, " "));
      secret = decodeURIComponent(secret.replace(/\+/g, " "));
    } catch {
      throw new InvalidClient(BAD_BASIC);
    }
  }
  checkCredential(id);
  checkCredential(secret);
  return { id, secret };
}

function authFailure(): InvalidClient {
  return new InvalidClient("client authentication failed");
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
  // RFC 6749 §5.2: a scheme we do not support is failed client authentication, answered 401.
  if (header !== undefined && !/^basic /i.test(header)) throw new InvalidClient("unsupported client authentication scheme: use Basic or client_secret_post");
  const basic = header !== undefined ? parseBasic(header) : null;
  const post = body.client_secret !== undefined;
  const assertion = body.client_assertion !== undefined || body.client_assertion_type !== undefined;
  if (Number(basic !== null) + Number(post) + Number(assertion) > 1) throw new InvalidRequest("use one client authentication method, not several");
  if (assertion) return authenticateWithAssertion(request, body, services);
  if (!basic && !post) {
    if (allowPublic && body.client_id) {
      const view = await services.clients.get(body.client_id);
      // A confidential client must prove itself with its secret; `none` is for public clients only.
      if (!view || view.confidential) throw authFailure();
      return { view, method: "none" };
    }
    throw new InvalidClient("client authentication is required (client_secret_basic or client_secret_post)");
  }
  const method = basic ? "client_secret_basic" : "client_secret_post";
  const clientId = basic ? basic.id : body.client_id;
  const secret = basic ? basic.secret : body.client_secret!;
  if (!clientId) throw new InvalidClient("client_id is required to authenticate the client");
  if (basic && body.client_id !== undefined && body.client_id !== clientId) {
    throw new InvalidRequest("client_id in the body differs from the authenticated client");
  }
  try {
    return { view: await verifySecret(request, services, clientId, secret), method };
  } catch (err) {
    if (!(err instanceof Throttled)) throw err;
    markThrottled(request, err.reason("client"));
    throw new TooManyRequests(err.retryAfterSeconds);
  }
}

/** RFC 7523 §2.2; failures count against the client-authentication throttle like a wrong secret. */
async function authenticateWithAssertion(request: FastifyRequest, body: Record<string, string>, services: Services): Promise<AuthenticatedClient> {
  if (body.client_assertion_type !== CLIENT_ASSERTION_TYPE) throw new InvalidClient(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
  if (!body.client_assertion) throw new InvalidClient("client_assertion is required");
  const asserted = readClientAssertion(body.client_assertion);
  const { clientId } = asserted;
  if (body.client_id !== undefined && body.client_id !== clientId) throw new InvalidClient("client_id differs from the assertion's sub");
  const view = await services.clients.get(clientId);
  const throttle = services.throttles.clientAuthentication;
  const keys = () => ({ address: throttleAddress(request.ip), subject: view ? view.clientId : null });
  const attempt = { clientId: view?.clientId ?? clientId, applicationId: view?.id ?? null, organizationId: view?.organizationId ?? null };
  try {
    if (!view) {
      await throttle.recordFailure(keys(), attempt);
      throw authFailure();
    }
    try {
      await verifyClientAssertion({ issuer: services.config.issuer, clients: services.clients, clientKeys: services.clientKeys, replays: services.replays }, view, asserted);
    } catch (err) {
      if (err instanceof InvalidClient) await throttle.recordFailure(keys(), attempt);
      throw err;
    }
    return { view, method: "private_key_jwt" };
  } catch (err) {
    if (!(err instanceof Throttled)) throw err;
    markThrottled(request, `${err.throttle}_${err.limit === "subject" ? "client" : "address"}`);
    throw new TooManyRequests(err.retryAfterSeconds);
  }
}

/**
 * Checks a presented secret under the client-authentication throttle. A secret this process
 * has already verified is answered from the cache without touching the counters: a valid
 * client keeps working from behind an address (or while its client_id) is under attack.
 * Unknown clients count against the address only, so made-up client_ids add no counters.
 */
async function verifySecret(request: FastifyRequest, services: Services, clientId: string, secret: string): Promise<ClientView> {
  const throttle = services.throttles.clientAuthentication;
  const view = await services.clients.get(clientId);
  // Only a failure or an argon2 run counts: a cached secret never parses the address.
  const keys = () => ({ address: throttleAddress(request.ip), subject: view ? view.clientId : null });
  const attempt = { clientId: view?.clientId ?? clientId, applicationId: view?.id ?? null, organizationId: view?.organizationId ?? null };
  // One message for unknown client, wrong, revoked and expired secret: nothing to probe.
  // A private_key_jwt application has no secret to present.
  if (!view || !view.confidential || view.authMethod === "private_key_jwt") {
    await throttle.recordFailure(keys(), attempt);
    throw authFailure();
  }
  let reservation: Reservation | null = null;
  const secretId = await services.secretVerifier.verify(view, secret, {
    beforeArgon2: async () => {
      reservation = await throttle.reserve(keys(), attempt);
    },
  });
  if (!secretId) {
    if (!reservation) await throttle.recordFailure(keys(), attempt);
    throw authFailure();
  }
  await (reservation as Reservation | null)?.refund();
  services.lastUsed.touch(secretId);
  return view;
}
