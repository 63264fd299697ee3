// POST /oauth/token, as node-oidc-provider builds it: TOKEN_STEPS is the literal list of small
// named steps every request passes through, in order; the grant itself is one step of it.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { verifyAccessToken } from "../auth/access-tokens.ts";
import type { Services } from "../services.ts";
import { authenticateClient as authenticate, type AuthenticatedClient } from "./client-auth.ts";
import { DpopProofError, DpopStoreUnavailable } from "../auth/dpop.ts";
import { InvalidDpopProof, InvalidRequest, TemporarilyUnavailable, UnauthorizedClient, UnsupportedGrantType } from "./errors.ts";
import { grants } from "./grants/index.ts";
import type { Grant, GrantDependencies } from "./grants/types.ts";
import { TokenIssuance, type TokenResponse } from "./issuance/index.ts";
import { rejectMalformedValues, requireForm, singleValuedParams } from "./params.ts";

/** RFC 6749 §5.1; a declared shape lets Fastify serialize it without generic JSON.stringify. */
const TOKEN_RESPONSE_SCHEMA = {
  200: {
    type: "object",
    required: ["access_token", "token_type", "expires_in", "scope"],
    properties: {
      access_token: { type: "string" },
      token_type: { type: "string" },
      expires_in: { type: "integer" },
      scope: { type: "string" },
      refresh_token: { type: "string" },
      id_token: { type: "string" },
      issued_token_type: { type: "string" },
    },
  },
} as const;

/** What the endpoint knows once, at start-up. */
interface TokenEndpoint {
  services: Services;
  /** The token endpoint's URL under the configured issuer: what a DPoP proof's htu must be. */
  url: string;
  grants: ReadonlyMap<string, { grant: Grant; deps: Partial<GrantDependencies> }>;
}

/** One request on its way through the steps; each step fills in what the next ones read. */
class TokenRequest {
  body: Record<string, string> = {};
  grant!: Grant;
  deps!: Partial<GrantDependencies>;
  client!: AuthenticatedClient;
  params!: Record<string, unknown>;
  response!: TokenResponse;
  /** RFC 9449: the thumbprint of the key a valid DPoP proof was made with. */
  dpopJkt: string | null = null;
  constructor(
    readonly endpoint: TokenEndpoint,
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
  ) {}
}

type Step = (ctx: TokenRequest) => void | Promise<void>;

function requireFormBody(ctx: TokenRequest): void {
  requireForm(ctx.request);
}

function rejectDuplicateParameters(ctx: TokenRequest): void {
  ctx.body = singleValuedParams(ctx.request.body);
}

/** NUL and other controls, or absurd lengths, never reach a query (PostgreSQL would 500 on NUL). */
function rejectMalformedParameters(ctx: TokenRequest): void {
  rejectMalformedValues(ctx.body);
}

function supportedGrantTypeCheck(ctx: TokenRequest): void {
  const grantType = ctx.body.grant_type;
  if (!grantType) throw new InvalidRequest("grant_type is required");
  const entry = ctx.endpoint.grants.get(grantType);
  if (!entry) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
  ctx.grant = entry.grant;
  ctx.deps = entry.deps;
}

async function authenticateClient(ctx: TokenRequest): Promise<void> {
  ctx.client = await authenticate(ctx.request, ctx.body, ctx.endpoint.services, { allowPublic: ctx.grant.allowsPublicClients ?? false });
}

function checkGrantAllowedForClient(ctx: TokenRequest): void {
  if (!ctx.client.view.confidential && !ctx.grant.allowsPublicClients) {
    throw new UnauthorizedClient(`public clients cannot use ${ctx.grant.grantType}`);
  }
}

/**
 * RFC 9449 §5: a DPoP proof binds what is issued to the client's key. The token endpoint
 * always wants a fresh server nonce (§8): the first proof without one gets use_dpop_nonce and
 * the nonce to use. An application with requireDpop gets nothing without a proof.
 */
async function checkDpopProof(ctx: TokenRequest): Promise<void> {
  const proof = ctx.request.headers.dpop;
  if (proof === undefined) {
    if (ctx.client.view.requireDpop) throw new InvalidDpopProof("this application requires DPoP: send a DPoP proof");
    return;
  }
  if (typeof proof !== "string") throw new InvalidDpopProof("send one DPoP header");
  const { dpop } = ctx.endpoint.services;
  try {
    ({ jkt: ctx.dpopJkt } = await dpop.verify(proof, { htm: "POST", htu: ctx.endpoint.url, requireNonce: true }));
  } catch (err) {
    if (err instanceof DpopProofError) throw new InvalidDpopProof(err.message, err.code, dpop.nonce());
    if (err instanceof DpopStoreUnavailable) throw new TemporarilyUnavailable(err.message);
    throw err;
  }
}

/** The grant's schema keeps only the fields it declares, so nothing stray changes its behaviour. */
function parseGrantParameters(ctx: TokenRequest): void {
  const parsed = ctx.grant.parameters.safeParse(ctx.body);
  if (parsed.success) {
    ctx.params = parsed.data;
    return;
  }
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? "request");
  throw new InvalidRequest(ctx.body[name] === undefined ? `${name} is required` : `${name} is invalid: ${issue.message}`);
}

async function runGrant(ctx: TokenRequest): Promise<void> {
  let deps = ctx.deps;
  // Every token this request issues carries cnf.jkt; a public client's refresh token is bound too.
  if (ctx.dpopJkt && deps.issuance) {
    deps = { ...deps, issuance: deps.issuance.boundTo(ctx.dpopJkt, { bindRefreshTokens: !ctx.client.view.confidential }) };
  }
  const client = ctx.dpopJkt ? { ...ctx.client, dpopJkt: ctx.dpopJkt } : ctx.client;
  ctx.response = await ctx.grant.handler({ params: ctx.params as never, client, deps: deps as GrantDependencies });
}

function sendNoStoreResponse(ctx: TokenRequest): void {
  if (ctx.dpopJkt) {
    ctx.response.token_type = "DPoP";
    // §8.2: the next nonce rides on the answer, so the client need not be refused for it.
    ctx.reply.header("dpop-nonce", ctx.endpoint.services.dpop.nonce());
  }
  ctx.reply.headers({ "cache-control": "no-store", pragma: "no-cache" }).send(ctx.response);
}

export const TOKEN_STEPS: readonly Step[] = [
  requireFormBody,
  rejectDuplicateParameters,
  rejectMalformedParameters,
  supportedGrantTypeCheck,
  authenticateClient,
  checkGrantAllowedForClient,
  checkDpopProof,
  parseGrantParameters,
  runGrant,
  sendNoStoreResponse,
];

/** Every dependency a grant may name, built once; each grant gets only those it names. */
function grantDependencies(services: Services): GrantDependencies {
  const { config, keys, catalog, db, clients } = services;
  return {
    db,
    catalog,
    clients,
    issuer: config.issuer,
    issuance: new TokenIssuance({
      keys,
      catalog,
      issuer: config.issuer,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      revocations: services.revocations,
    }),
    accessTokens: { verify: (token, options) => verifyAccessToken(services, token, options) },
    externalTokens: services.externalTokens,
    memberships: services.memberships,
    identityProviders: services.identityProviderDirectory,
  };
}

export const tokenRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const all = grantDependencies(services);
  const endpoint: TokenEndpoint = {
    services,
    url: `${services.config.issuer}/oauth/token`,
    grants: new Map([...grants.values()].map((grant) => [grant.grantType, { grant, deps: Object.fromEntries(grant.needs.map((n) => [n, all[n]])) }])),
  };
  app.post("/token", { schema: { response: TOKEN_RESPONSE_SCHEMA } }, async (request, reply) => {
    const ctx = new TokenRequest(endpoint, request, reply);
    for (const step of TOKEN_STEPS) {
      // Synchronous steps return undefined: no extra microtask per step on the hot path.
      const pending = step(ctx);
      if (pending) await pending;
    }
    return reply;
  });
};
