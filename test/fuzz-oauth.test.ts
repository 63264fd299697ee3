// Issue 16 item 3: generated and mutated requests at every OAuth door. Whatever comes in, the
// answer is never a 5xx; it is RFC 6749 JSON at the JSON doors and, at /oauth/authorize, a
// redirect only to a registered redirect URI (RFC 6749 §4.1.2.1) or an HTML page; a refused
// request leaves the database exactly as it was. One property per door; the pieces are in
// test/fuzz/arbitraries.ts. `npm run fuzz` runs the same properties with FUZZ_RUNS cases each.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { basicHeader, contentType, deepJson, FORM, fieldValue, formBody, formPairs, jsonValue, jwtLike, nastyString, percentGarbage, type FuzzRequest } from "./fuzz/arbitraries.ts";
import {
  ACCESS_TOKEN_TYPE,
  describe as show,
  expectOAuthError,
  fuzzDoor,
  fuzzTimeout,
  JWT_BEARER,
  reportCases,
  send,
  startFuzzWorld,
  TOKEN_EXCHANGE,
  type FuzzResponse,
  type FuzzWorld,
} from "./fuzz/harness.ts";
import { CALLBACK } from "./helpers/user-apps.ts";

let w: FuzzWorld;

beforeAll(async () => {
  w = await startFuzzWorld();
}, 120_000);
afterAll(async () => {
  if (w) reportCases(w, "fuzz-oauth");
  await w?.server.close();
});

type Arb = fc.Arbitrary<string>;

/** A value that differs from `valid`: replaying a real code or refresh token is a legitimate revocation, not a refusal. */
const notExactly = (arb: Arb, valid: string) => arb.filter((v) => v !== valid);

/**
 * A POST to a form door: the door's parameters, client authentication by Basic, by the form,
 * by client_id alone, by both, or none; the right content type or a wrong one with a JSON or
 * deeply nested body.
 */
function formDoor(path: string, params: Record<string, Arb>): fc.Arbitrary<FuzzRequest> {
  const auth = fc.oneof(
    { weight: 4, arbitrary: basicHeader(w.app.clientId, w.app.secret).map((h) => ({ header: h, form: {} as Record<string, Arb> })) },
    { weight: 2, arbitrary: fc.constant({ header: undefined, form: { client_id: fieldValue(w.app.clientId), client_secret: fieldValue(w.app.secret) } }) },
    { weight: 1, arbitrary: fc.constant({ header: undefined, form: { client_id: fieldValue(w.app.clientId) } }) },
    { weight: 1, arbitrary: basicHeader(w.app.clientId, w.app.secret).map((h) => ({ header: h, form: { client_id: fieldValue(w.app.clientId), client_secret: fieldValue(w.app.secret) } })) },
    { weight: 1, arbitrary: fc.constant({ header: undefined, form: {} as Record<string, Arb> }) },
  );
  return auth.chain(({ header, form }) =>
    fc.tuple(formBody(formPairs({ ...params, ...form })), contentType, fc.oneof({ weight: 9, arbitrary: fc.constant("form") }, { weight: 1, arbitrary: fc.constantFrom("json", "deep", "garbage") }), jsonValue, deepJson, percentGarbage()).map(
      ([body, type, shape, json, deep, garbage]) => {
        const headers: Record<string, string> = {};
        if (header) headers.authorization = header;
        if (type) headers["content-type"] = type;
        const raw = shape === "form" ? body : shape === "json" ? JSON.stringify({ params: json, body }) : shape === "deep" ? deep : garbage;
        if (shape === "json" || shape === "deep") headers["content-type"] = type === FORM ? "application/json" : (type ?? "application/json");
        return { method: "POST" as const, path, headers, body: raw };
      },
    ),
  );
}

/** The token endpoint: 200 with a token, or an RFC 6749 error. */
function tokenAnswer(req: FuzzRequest, res: FuzzResponse) {
  if (res.status === 200) {
    const body = res.json as { access_token?: unknown; token_type?: unknown };
    expect(typeof body.access_token, show(req, res)).toBe("string");
    expect(res.headers.get("cache-control"), show(req, res)).toContain("no-store");
    return { refused: false };
  }
  expectOAuthError(req, res);
  return { refused: true };
}

const RUNS = 60;

it("/oauth/token, client_credentials: never a 5xx, always RFC 6749, nothing changed when refused", async () => {
  await fuzzDoor(w, "token client_credentials", formDoor("/oauth/token", { grant_type: fieldValue("client_credentials"), scope: fieldValue(["knowledge.portalmgr.read", "openid", "connect.applications.read", ""]) }), tokenAnswer, RUNS);
}, fuzzTimeout(RUNS));

it("/oauth/token, authorization_code: never a 5xx, always RFC 6749, nothing changed when refused", async () => {
  await fuzzDoor(
    w,
    "token authorization_code",
    formDoor("/oauth/token", {
      grant_type: fieldValue("authorization_code"),
      code: notExactly(fieldValue(w.spentCode), w.spentCode),
      redirect_uri: fieldValue([CALLBACK, "https://evil.example/callback", `${CALLBACK}/..`]),
      code_verifier: fieldValue(w.verifier),
    }),
    tokenAnswer,
    RUNS,
  );
}, fuzzTimeout(RUNS));

it("/oauth/token, refresh_token: never a 5xx, always RFC 6749, nothing changed when refused", async () => {
  await fuzzDoor(
    w,
    "token refresh_token",
    formDoor("/oauth/token", {
      grant_type: fieldValue("refresh_token"),
      refresh_token: notExactly(fieldValue(w.refreshToken), w.refreshToken),
      scope: fieldValue(["knowledge.portalmgr.read", "offline_access openid"]),
    }),
    tokenAnswer,
    RUNS,
  );
}, fuzzTimeout(RUNS));

it("/oauth/token, token exchange (RFC 8693): never a 5xx, always RFC 6749, nothing changed when refused", async () => {
  await fuzzDoor(
    w,
    "token token-exchange",
    formDoor("/oauth/token", {
      grant_type: fieldValue(TOKEN_EXCHANGE),
      subject_token: fc.oneof(jwtLike(w.accessToken), jwtLike(w.idToken), nastyString),
      subject_token_type: fieldValue([ACCESS_TOKEN_TYPE, "urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token"]),
      scope: fieldValue(["knowledge.portalmgr.onbehalfof.read", "knowledge.portalmgr.read"]),
      audience: fieldValue([w.app.clientId, w.admin.clientId]),
      resource: fieldValue(["https://api.example.test", w.server.url]),
      identity_provider: fieldValue("okta"),
      requested_token_type: fieldValue(ACCESS_TOKEN_TYPE),
      actor_token: jwtLike(w.accessToken),
      actor_token_type: fieldValue(ACCESS_TOKEN_TYPE),
    }),
    tokenAnswer,
    RUNS,
  );
}, fuzzTimeout(RUNS));

it("/oauth/token, jwt-bearer on-behalf-of: never a 5xx, always RFC 6749, nothing changed when refused", async () => {
  await fuzzDoor(
    w,
    "token jwt-bearer",
    formDoor("/oauth/token", {
      grant_type: fieldValue(JWT_BEARER),
      assertion: fc.oneof(jwtLike(w.accessToken), nastyString),
      requested_token_use: fieldValue("on_behalf_of"),
      scope: fieldValue(["knowledge.portalmgr.onbehalfof.read", "knowledge.portalmgr.read"]),
      audience: fieldValue(w.app.clientId),
    }),
    tokenAnswer,
    RUNS,
  );
}, fuzzTimeout(RUNS));

it("/oauth/token, any grant_type at all: never a 5xx, always RFC 6749", async () => {
  await fuzzDoor(w, "token unknown grant", formDoor("/oauth/token", { grant_type: nastyString, code: nastyString, scope: nastyString }), tokenAnswer, RUNS / 2);
}, fuzzTimeout(RUNS));

/**
 * /oauth/authorize, signed out and signed in: a redirect goes to the registered redirect URI
 * only when the client and the URI are right, carrying a code or a well-formed error and the
 * state; anything else is a page (sign-in, consent, or an HTML error), never JSON or a 5xx.
 */
it("/oauth/authorize: never a 5xx; redirects only to the registered URI; errors well-formed; nothing changed when refused", async () => {
  const params = {
    response_type: fieldValue(["code", "token", "code id_token", "none"]),
    client_id: fieldValue([w.app.clientId, w.admin.clientId]),
    redirect_uri: fieldValue([CALLBACK, "https://evil.example/callback", `${CALLBACK}?x=1`, "javascript:alert(1)"]),
    scope: fieldValue(["openid knowledge.portalmgr.read", "openid", "connect.applications.manage"]),
    state: fieldValue(["s", "a&b=c"]),
    nonce: fieldValue("n"),
    code_challenge: fieldValue("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    code_challenge_method: fieldValue(["S256", "plain"]),
    prompt: fieldValue(["login", "consent", "none", "select_account"]),
    max_age: fieldValue("0"),
    login_hint: fieldValue(w.person.email),
  };
  // A signed-in browser, so the consent and code paths are reached as well as sign-in.
  const { Agent, authorize, pkcePair } = await import("./helpers/agent.ts");
  const agent = new Agent(w.server.url);
  const { challenge } = pkcePair();
  await authorize(agent, { response_type: "code", client_id: w.app.clientId, redirect_uri: CALLBACK, scope: "openid knowledge.portalmgr.read", state: "s", code_challenge: challenge, code_challenge_method: "S256" }, w.person);
  const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const requests = fc
    .tuple(formBody(formPairs(params)), fc.boolean(), fc.constantFrom("GET", "GET", "GET", "POST"), percentGarbage(), fc.boolean())
    .map(([query, signedIn, method, garbage, garble]): FuzzRequest => {
      const headers: Record<string, string> = signedIn ? { cookie } : {};
      const q = garble ? `${query}&${garbage}` : query;
      if (method === "POST") return { method: "POST", path: "/oauth/authorize", headers: { ...headers, "content-type": FORM }, body: q };
      return { method: "GET", path: `/oauth/authorize?${q}`, headers };
    });
  await fuzzDoor(
    w,
    "authorize",
    requests,
    (req, res) => {
      const what = show(req, res);
      if (res.status >= 300 && res.status < 400) {
        const location = new URL(res.headers.get("location") ?? "", w.server.url);
        if (location.origin === w.server.url) return { refused: true }; // on to sign-in or consent
        // Off-site: only to the app's registered URI, which only a request naming that app earns.
        expect(`${location.origin}${location.pathname}`, what).toBe(CALLBACK);
        const sent = new URLSearchParams(req.method === "GET" ? req.path.split("?").slice(1).join("?") : req.body);
        expect(sent.getAll("client_id"), what).toEqual([w.app.clientId]);
        const error = location.searchParams.get("error");
        if (error === null) {
          expect(location.searchParams.get("code"), what).toBeTruthy();
          return { refused: false };
        }
        expect(["invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope", "server_error", "temporarily_unavailable", "login_required", "consent_required", "interaction_required"], what).toContain(error);
        expect(/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(location.searchParams.get("error_description") ?? ""), what).toBe(true);
        return { refused: true };
      }
      if (res.status === 431 || res.status === 414) return { refused: true }; // the HTTP parser's limit on a request line
      expect([200, 400, 403, 404, 405, 413, 415], what).toContain(res.status);
      expect(res.headers.get("content-type") ?? "", what).toMatch(/^text\/html/);
      return { refused: true };
    },
    RUNS + 20,
  );
}, fuzzTimeout(RUNS));

it("/oauth/introspect: never a 5xx, { active } or RFC 6749, and reading never writes", async () => {
  const requests = formDoor("/oauth/introspect", {
    token: fc.oneof(jwtLike(w.accessToken), fieldValue(w.refreshToken), nastyString),
    token_type_hint: fieldValue(["access_token", "refresh_token", "id_token"]),
  });
  await fuzzDoor(
    w,
    "introspect",
    requests,
    (req, res) => {
      if (res.status === 200) {
        expect(typeof (res.json as { active?: unknown }).active, show(req, res)).toBe("boolean");
        return { refused: true };
      }
      expectOAuthError(req, res);
      return { refused: true };
    },
    RUNS,
  );
}, fuzzTimeout(RUNS));

// Last of the OAuth doors: a revocation that succeeds ends the tokens the other doors start from.
it("/oauth/revoke: never a 5xx, 200 or RFC 6749, nothing changed when refused", async () => {
  const requests = formDoor("/oauth/revoke", {
    token: fc.oneof(jwtLike(w.accessToken), fieldValue(w.refreshToken), nastyString),
    token_type_hint: fieldValue(["access_token", "refresh_token", "id_token"]),
  });
  await fuzzDoor(
    w,
    "revoke",
    requests,
    (req, res) => {
      if (res.status === 200) return { refused: false };
      expectOAuthError(req, res);
      return { refused: true };
    },
    RUNS,
  );
}, fuzzTimeout(RUNS));

/**
 * RFC 7591 dynamic registration, once /oauth/register exists (another branch adds it): a JSON
 * POST of client metadata with wrong types and hostile values; 201 or an RFC 7591 error.
 */
it("/oauth/register (when the server has it): never a 5xx, 201 or an RFC 7591 error, nothing changed when refused", async (ctx) => {
  const probe = await send(w.server.url, { method: "POST", path: "/oauth/register", headers: { "content-type": "application/json" }, body: "{}" });
  if (probe.status === 404) ctx.skip();
  const metadata = fc.record(
    {
      redirect_uris: fc.oneof(fc.constant([CALLBACK]), fc.array(fieldValue([CALLBACK, "http://localhost:1/cb", "javascript:x"]), { maxLength: 4 }), jsonValue),
      client_name: fc.oneof(fieldValue("Fuzzed client"), jsonValue),
      grant_types: fc.oneof(fc.constant(["authorization_code"]), fc.array(fieldValue(["authorization_code", "client_credentials", "refresh_token", "implicit"]), { maxLength: 3 }), jsonValue),
      response_types: fc.oneof(fc.constant(["code"]), jsonValue),
      token_endpoint_auth_method: fc.oneof(fieldValue(["client_secret_basic", "none", "private_key_jwt"]), jsonValue),
      scope: fc.oneof(fieldValue("openid knowledge.portalmgr.read"), jsonValue),
      jwks: jsonValue,
      software_statement: jwtLike(w.accessToken),
    },
    { requiredKeys: [] },
  );
  const requests = fc
    .tuple(metadata, fc.constantFrom("json", "json", "json", "deep", "form", "garbage"), deepJson, percentGarbage(), fc.option(fc.constantFrom(`Bearer ${w.admin.token}`, "Bearer x", "Basic Og=="), { freq: 2 }))
    .map(([meta, shape, deep, garbage, authorization]): FuzzRequest => {
      const headers: Record<string, string> = { "content-type": shape === "form" ? FORM : shape === "garbage" ? "text/plain" : "application/json" };
      if (authorization) headers.authorization = authorization;
      const body = shape === "json" ? JSON.stringify(meta) : shape === "deep" ? deep : shape === "form" ? new URLSearchParams({ client_name: typeof meta.client_name === "string" ? meta.client_name : (JSON.stringify(meta.client_name) ?? "") }).toString() : garbage;
      return { method: "POST", path: "/oauth/register", headers, body };
    });
  await fuzzDoor(
    w,
    "register",
    requests,
    (req, res) => {
      if (res.status === 201) return { refused: false };
      expectOAuthError(req, res);
      return { refused: true };
    },
    RUNS,
  );
}, fuzzTimeout(RUNS));

// What the fuzzer found, pinned: descriptions that quoted the request's own characters.
it("keeps error_description within RFC 6749's characters when it quotes what the client sent", async () => {
  const weird = 'client_credentials"\\é😀\u202e';
  const token = await send(w.server.url, { method: "POST", path: "/oauth/token", headers: { "content-type": FORM }, body: new URLSearchParams({ grant_type: weird }).toString() });
  expect(token.status).toBe(400);
  expect((token.json as { error: string }).error).toBe("unsupported_grant_type");
  expect((token.json as { error_description: string }).error_description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  const authorize = await send(w.server.url, {
    method: "GET",
    path: `/oauth/authorize?${new URLSearchParams({ response_type: "code", client_id: w.app.clientId, redirect_uri: CALLBACK, scope: 'openid "é😀', state: "s" })}`,
    headers: {},
  });
  expect(authorize.status).toBe(303);
  const description = new URL(authorize.headers.get("location")!).searchParams.get("error_description") ?? "";
  expect(description).not.toBe("");
  expect(description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
});
