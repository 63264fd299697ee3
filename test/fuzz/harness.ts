// What every fuzz property shares: a server with real clients, people and tokens to aim at,
// a raw sender (no client-side encoding, no redirects followed), the shape checks of an error
// answer, and a digest of the database to prove that a refused request changed nothing.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { expect } from "vitest";
import { bootstrapAdmin, type Admin } from "../helpers/admin.ts";
import { Agent, authorize, pkcePair } from "../helpers/agent.ts";
import { basic, postForm } from "../helpers/http.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { createUser } from "../helpers/users.ts";
import { CALLBACK, registerWebApp, type WebApp } from "../helpers/user-apps.ts";
import { fuzzRuns, type FuzzRequest } from "./arbitraries.ts";

export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
export const DELEGATED_SCOPES = ["knowledge.portalmgr.read", "knowledge.portalmgr.onbehalfof.read", "offline_access", "openid"];

export interface FuzzWorld {
  server: TestServer;
  admin: Admin;
  /** A confidential web app allowed token exchange and on-behalf-of, with delegated scopes. */
  app: WebApp;
  person: { email: string; password: string };
  /** Tokens the person got through the code flow: the real shapes mutations start from. */
  accessToken: string;
  refreshToken: string;
  idToken: string;
  /** A code that was issued and then redeemed, the shape of a real one. */
  spentCode: string;
  verifier: string;
}

export async function startFuzzWorld(): Promise<FuzzWorld> {
  const server = await startTestServer();
  const admin = await bootstrapAdmin(server, "Fuzzers");
  const app = await registerWebApp(server, admin, "Fuzz target", DELEGATED_SCOPES.filter((s) => !s.includes("onbehalfof")));
  const adminGql = async (query: string, variables: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, { __typename: string }> };
    if (!Object.values(body.data ?? {})[0]?.__typename.endsWith("Success")) throw new Error(JSON.stringify(body));
  };
  await adminGql(`mutation($i: UpdateConnectApplicationInput!) { updateConnectApplication(input: $i) { __typename } }`, {
    i: { id: app.id, onBehalfOfEnabled: true, tokenExchange: { enabled: true, accessTokenTtlSeconds: 900 } },
  });
  await adminGql(`mutation($i: GrantScopesInput!) { grantScopes(input: $i) { __typename } }`, {
    i: { applicationId: app.id, scopes: DELEGATED_SCOPES.filter((s) => s.includes("onbehalfof")), kind: "DELEGATED" },
  });
  const person = await createUser(server, admin.organizationDbId, "fuzzy@fuzz.test", "fuzzy password 1");
  const { verifier, challenge } = pkcePair();
  const url = await authorize(
    new Agent(server.url),
    { response_type: "code", client_id: app.clientId, redirect_uri: CALLBACK, scope: DELEGATED_SCOPES.filter((s) => !s.includes("onbehalfof")).join(" "), state: "s", nonce: "n", code_challenge: challenge, code_challenge_method: "S256" },
    person,
  );
  const spentCode = url.searchParams.get("code");
  if (!spentCode) throw new Error(`no code: ${url}`);
  const res = await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", code: spentCode, redirect_uri: CALLBACK, code_verifier: verifier }, basic(app.clientId, app.secret));
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return {
    server,
    admin,
    app,
    person,
    accessToken: res.body.access_token as string,
    refreshToken: res.body.refresh_token as string,
    idToken: res.body.id_token as string,
    spentCode,
    verifier,
  };
}

// ---------------------------------------------------------------------------------------------
// Sending

export interface FuzzResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** A test's time budget: generous per case, so that `npm run fuzz` with a large FUZZ_RUNS fits too. */
export function fuzzTimeout(defaultRuns: number, msPerCase = 500): number {
  return Math.max(120_000, fuzzRuns(defaultRuns) * msPerCase);
}

export async function send(base: string, req: FuzzRequest): Promise<FuzzResponse> {
  // A Buffer body keeps fetch from adding a content type of its own: "none" must mean none.
  // HTTP carries header values as bytes without controls; a client cannot send more than that.
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, v.replace(/[^\t\x20-\x7e\x80-\xff]/g, "?")]));
  const res = await fetch(`${base}${req.path}`, {
    method: req.method,
    headers,
    body: req.body === undefined ? undefined : Buffer.from(req.body, "utf8"),
    redirect: "manual",
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

// ---------------------------------------------------------------------------------------------
// What a refusal must look like

/** Registered OAuth error codes (RFC 6749, 6750, 7009, 7591, 8693, 8707) plus 404's own. */
const OAUTH_ERROR_CODES = new Set([
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
  "invalid_token",
  "invalid_target",
  "unsupported_token_type",
  "access_denied",
  "slow_down",
  "temporarily_unavailable",
  "invalid_redirect_uri",
  "invalid_client_metadata",
  "invalid_software_statement",
  "unapproved_software_statement",
  "insufficient_scope",
]);
/** RFC 6749 §5.2: error and error_description use %x20-21 / %x23-5B / %x5D-7E only. */
const ERROR_CHARSET = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

export function describe(req: FuzzRequest, res: FuzzResponse): string {
  const body = req.body && req.body.length > 300 ? `${req.body.slice(0, 300)}… (${req.body.length} chars)` : req.body;
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, v.length > 200 ? `${v.slice(0, 200)}… (${v.length} chars)` : v]));
  return `${req.method} ${req.path.slice(0, 300)} ${JSON.stringify(headers)} ${JSON.stringify(body)} → ${res.status} ${res.text.slice(0, 300)}`;
}

/** Never a 5xx, whatever came in. */
export function expectNo5xx(req: FuzzRequest, res: FuzzResponse): void {
  expect(res.status, describe(req, res)).toBeLessThan(500);
}

/** A 4xx in RFC 6749 §5.2 JSON, with nothing cacheable. */
export function expectOAuthError(req: FuzzRequest, res: FuzzResponse): void {
  const what = describe(req, res);
  // Headers over Node's limit are refused by the HTTP parser, before any route exists.
  if (res.status === 431) return;
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  expect(res.status, what).toBeLessThan(500);
  expect(res.headers.get("content-type") ?? "", what).toMatch(/^application\/json/);
  const body = res.json as { error?: unknown; error_description?: unknown };
  expect(typeof body?.error, what).toBe("string");
  // A throttle's 429 (issue 16 item 1) may name its own code; it must still be well-formed.
  if (res.status === 429) expect(ERROR_CHARSET.test(body.error as string), what).toBe(true);
  else expect(OAUTH_ERROR_CODES.has(body.error as string), what).toBe(true);
  if (body.error_description !== undefined) {
    expect(typeof body.error_description, what).toBe("string");
    expect(ERROR_CHARSET.test(body.error_description as string), `error_description outside RFC 6749's charset: ${what}`).toBe(true);
  }
  if (res.status === 401) expect(res.headers.get("www-authenticate"), what).toBeTruthy();
}

// ---------------------------------------------------------------------------------------------
// The database, before and after

/**
 * Bookkeeping a refused request may legitimately write: when a secret was last used (recorded
 * apart from the request), and the throttles' counters and their audit events (issue 16 item 1).
 */
const IGNORED_COLUMNS = new Set(["lastUsedAt"]);
const IGNORED_TABLES = /^_prisma|throttl|rate_?limit|counter/i;
const IGNORED_AUDIT_ACTIONS = /throttl|authentication_failed|sign_in_failed|login_failed/i;

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Date ? v.toISOString() : v));
}

/** A hash of every row of every table, so "unchanged" means unchanged. */
export async function databaseDigest(server: TestServer): Promise<string> {
  const db = server.services.db;
  const tables =
    server.database.provider === "sqlite"
      ? (await db.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)).map((r) => r.name)
      : (
          await db.$queryRawUnsafe<{ table_name: string }[]>(
            `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
          )
        ).map((r) => r.table_name);
  const hash = createHash("sha256");
  for (const table of tables.filter((t) => !IGNORED_TABLES.test(t)).sort()) {
    const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT * FROM "${table}"`);
    const lines = rows
      .filter((row) => !(table === "AuditEvent" && IGNORED_AUDIT_ACTIONS.test(String(row.action))))
      .map((row) => canonical(Object.fromEntries(Object.entries(row).filter(([k]) => !IGNORED_COLUMNS.has(k)).sort(([a], [b]) => a.localeCompare(b)))))
      .sort();
    hash.update(`${table}\n${lines.join("\n")}\n`);
  }
  return hash.digest("hex");
}

// ---------------------------------------------------------------------------------------------
// Running a door's property

/** Cases run per door, printed at the end of each file and reported by the lead. */
export const casesRun = new Map<string, number>();

/**
 * Runs `numRuns` generated requests at a door. `check` asserts the answer's shape and says
 * whether the request was refused; a refused one must leave the database digest as it was.
 */
export async function fuzzDoor(
  world: FuzzWorld,
  door: string,
  requests: fc.Arbitrary<FuzzRequest>,
  check: (req: FuzzRequest, res: FuzzResponse) => { refused: boolean },
  defaultRuns: number,
): Promise<void> {
  let before = await databaseDigest(world.server);
  let count = 0;
  await fc.assert(
    fc.asyncProperty(requests, async (req) => {
      count += 1;
      const res = await send(world.server.url, req);
      expectNo5xx(req, res);
      const { refused } = check(req, res);
      const after = await databaseDigest(world.server);
      if (refused) expect(after, `the database changed after a refused request: ${describe(req, res)}`).toBe(before);
      before = after;
    }),
    { numRuns: fuzzRuns(defaultRuns), endOnFailure: true, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) },
  );
  casesRun.set(door, (casesRun.get(door) ?? 0) + count);
}

export function reportCases(world: FuzzWorld, file: string): void {
  const line = [...casesRun].map(([door, n]) => `${door}: ${n}`).join(", ");
  console.info(`[fuzz] ${file} on ${world.server.database.provider}: ${line}`);
}
