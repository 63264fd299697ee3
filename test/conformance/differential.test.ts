// Differential conformance: the same client library written by others (panva/oauth4webapi)
// drives the same flows against Scopekeeper and against node-oidc-provider (in this process,
// configured alike: test/conformance/servers.ts), and each outcome, success or the error code,
// must be the same on both. Where Scopekeeper is stricter on purpose, both outcomes are pinned
// and the difference is written down in DIFFERENCES (docs/conformance.md lists them too).
import { generateKeyPair, SignJWT, exportJWK, decodeJwt } from "jose";
import { randomUUID } from "node:crypto";
import * as oauth from "oauth4webapi";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_SCOPE, CALLBACK, insecure, startReferenceTarget, startScopekeeperTarget, USER_SCOPE, type Target } from "./servers.ts";

let sk: Target;
let ref: Target;
const both = () => [sk, ref] as const;

beforeAll(async () => {
  [sk, ref] = await Promise.all([startScopekeeperTarget(), startReferenceTarget()]);
});
afterAll(async () => {
  await Promise.all([sk?.close(), ref?.close()]);
});

/** Success, or the OAuth error code the library reports. */
async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return "ok";
  } catch (err) {
    return codeOf(err);
  }
}

async function codeOf(err: unknown): Promise<string> {
  if (err instanceof oauth.ResponseBodyError || err instanceof oauth.AuthorizationResponseError) return err.error;
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const fromHeader = err.cause.find((c) => c.parameters.error)?.parameters.error;
    if (fromHeader) return fromHeader;
    const body = (await err.response.json().catch(() => ({}))) as { error?: string };
    return body.error ?? `http_${err.status}`;
  }
  throw err;
}

/** The error an authorization endpoint reports: in the redirect back, or on its page. */
function authorizationError(visit: { status: number; location: string | null; text: string }): string {
  if (visit.location?.startsWith(CALLBACK)) return new URL(visit.location).searchParams.get("error") ?? "ok";
  if (visit.status >= 300 && visit.status < 400) return "continues";
  return /(invalid_request_uri|invalid_request|invalid_client|invalid_scope|invalid_redirect_uri)/.exec(visit.text)?.[1] ?? `http_${visit.status}`;
}

const pkce = async () => {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
};

function authParams(t: Target, challenge: string, extra: Record<string, string> = {}) {
  return {
    client_id: t.web.client.client_id,
    response_type: "code",
    redirect_uri: CALLBACK,
    scope: USER_SCOPE,
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    code_challenge: challenge,
    code_challenge_method: "S256",
    // OpenID Connect Core §11: the reference drops offline_access without it (see the difference below).
    prompt: "consent",
    ...extra,
  };
}

/** What each server did where they differ; the suite asserts every line. */
const DIFFERENCES: Record<string, { scopekeeper: string; reference: string }> = {};
function differ(name: string, skOutcome: string, refOutcome: string, expected: { scopekeeper: string; reference: string }) {
  DIFFERENCES[name] = { scopekeeper: skOutcome, reference: refOutcome };
  expect({ scopekeeper: skOutcome, reference: refOutcome }, name).toEqual(expected);
}

async function same(name: string, run: (t: Target) => Promise<unknown>, expected = "ok") {
  const [a, b] = [await outcome(() => run(sk)), await outcome(() => run(ref))];
  expect({ scopekeeper: a, reference: b }, name).toEqual({ scopekeeper: expected, reference: expected });
}

describe("metadata", () => {
  it("both publish the endpoints and methods the flows below use", () => {
    for (const t of both()) {
      expect(t.as.pushed_authorization_request_endpoint, t.name).toBeTruthy();
      expect(t.as.device_authorization_endpoint, t.name).toBeTruthy();
      expect(t.as.token_endpoint_auth_methods_supported, t.name).toEqual(expect.arrayContaining(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]));
      expect(t.as.dpop_signing_alg_values_supported, t.name).toContain("ES256");
      expect(t.as.code_challenge_methods_supported, t.name).toContain("S256");
      expect(t.as.grant_types_supported, t.name).toEqual(expect.arrayContaining(["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"]));
    }
    // RFC 8693: only Scopekeeper has token exchange, so that flow has no reference to differ from.
    differ(
      "token exchange (RFC 8693) in grant_types_supported",
      String(sk.as.grant_types_supported?.includes("urn:ietf:params:oauth:grant-type:token-exchange")),
      String(ref.as.grant_types_supported?.includes("urn:ietf:params:oauth:grant-type:token-exchange")),
      { scopekeeper: "true", reference: "false" },
    );
  });
});

describe("authorization code + PKCE, refresh (client_secret_basic)", () => {
  async function codeFlow(t: Target) {
    const { verifier, challenge } = await pkce();
    const params = authParams(t, challenge);
    const { url } = await t.authorize(params);
    const auth = oauth.ClientSecretBasic(t.web.secret);
    const callback = oauth.validateAuthResponse(t.as, t.web.client, url, params.state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      t.as,
      t.web.client,
      await oauth.authorizationCodeGrantRequest(t.as, t.web.client, auth, callback, CALLBACK, verifier, insecure),
      { expectedNonce: params.nonce, requireIdToken: true },
    );
    return { tokens, callback, verifier, auth };
  }

  it("the code becomes tokens with a valid ID token; the refresh token rotates or refreshes", async () => {
    await same("code flow", async (t) => {
      const { tokens, auth } = await codeFlow(t);
      expect(tokens.refresh_token).toEqual(expect.any(String));
      const refreshed = await oauth.processRefreshTokenResponse(t.as, t.web.client, await oauth.refreshTokenGrantRequest(t.as, t.web.client, auth, tokens.refresh_token!, insecure));
      expect(refreshed.access_token).toEqual(expect.any(String));
    });
  });

  it("a code used twice, a wrong verifier and a refresh token of another client are invalid_grant on both", async () => {
    await same(
      "code replay",
      async (t) => {
        const { callback, verifier, auth } = await codeFlow(t);
        await oauth.processAuthorizationCodeResponse(t.as, t.web.client, await oauth.authorizationCodeGrantRequest(t.as, t.web.client, auth, callback, CALLBACK, verifier, insecure));
      },
      "invalid_grant",
    );
    await same(
      "wrong code_verifier",
      async (t) => {
        const { challenge } = await pkce();
        const params = authParams(t, challenge);
        const { url } = await t.authorize(params);
        const callback = oauth.validateAuthResponse(t.as, t.web.client, url, params.state);
        await oauth.processAuthorizationCodeResponse(
          t.as,
          t.web.client,
          await oauth.authorizationCodeGrantRequest(t.as, t.web.client, oauth.ClientSecretBasic(t.web.secret), callback, CALLBACK, oauth.generateRandomCodeVerifier(), insecure),
        );
      },
      "invalid_grant",
    );
    await same("made-up refresh token", (t) => oauth.refreshTokenGrantRequest(t.as, t.web.client, oauth.ClientSecretBasic(t.web.secret), "not-a-refresh-token", insecure).then((r) => oauth.processRefreshTokenResponse(t.as, t.web.client, r)), "invalid_grant");
  });

  it("differs: offline_access without prompt=consent", async () => {
    const refreshTokenWithoutConsentPrompt = async (t: Target) => {
      const { verifier, challenge } = await pkce();
      const params = authParams(t, challenge);
      delete (params as Partial<typeof params>).prompt;
      const { url } = await t.authorize(params);
      const callback = oauth.validateAuthResponse(t.as, t.web.client, url, params.state);
      const tokens = await oauth.processAuthorizationCodeResponse(
        t.as,
        t.web.client,
        await oauth.authorizationCodeGrantRequest(t.as, t.web.client, oauth.ClientSecretBasic(t.web.secret), callback, CALLBACK, verifier, insecure),
        { expectedNonce: params.nonce },
      );
      return tokens.refresh_token ? "refresh_token" : "no refresh_token";
    };
    differ("offline_access requested without prompt=consent", await refreshTokenWithoutConsentPrompt(sk), await refreshTokenWithoutConsentPrompt(ref), {
      scopekeeper: "refresh_token",
      reference: "no refresh_token",
    });
  });

  it("an unregistered redirect_uri is never redirected to; differs: a scope the server does not know", async () => {
    for (const t of both()) {
      const { challenge } = await pkce();
      const visit = await t.visit(authParams(t, challenge, { redirect_uri: "https://evil.example/cb" }));
      expect(visit.location ?? "", t.name).not.toContain("evil.example");
      expect(visit.status, t.name).toBeGreaterThanOrEqual(400);
    }
    const unknownScope = async (t: Target) => authorizationError(await t.visit(authParams(t, (await pkce()).challenge, { scope: "openid not.a.scope" })));
    const [a, b] = [await unknownScope(sk), await unknownScope(ref)];
    // The reference drops scopes it does not know and goes on to sign-in; Scopekeeper refuses them.
    differ("an unknown scope at the authorization endpoint", a, b, { scopekeeper: "invalid_scope", reference: "continues" });
  });
});

describe("client credentials with each client authentication", () => {
  const cc = (t: Target, client: oauth.Client, auth: oauth.ClientAuth, params: Record<string, string> = {}, options: oauth.TokenEndpointRequestOptions = {}) =>
    oauth.clientCredentialsGrantRequest(t.as, client, auth, { scope: API_SCOPE, ...params }, { ...insecure, ...options }).then((r) => oauth.processClientCredentialsResponse(t.as, client, r));

  it("client_secret_basic, client_secret_post and private_key_jwt (aud = issuer) all succeed", async () => {
    await same("client_secret_basic", (t) => cc(t, t.m2mBasic.client, oauth.ClientSecretBasic(t.m2mBasic.secret)));
    await same("client_secret_post", (t) => cc(t, t.m2mPost.client, oauth.ClientSecretPost(t.m2mPost.secret)));
    await same("private_key_jwt", (t) => cc(t, t.m2mJwt.client, oauth.PrivateKeyJwt(t.m2mJwt.key)));
  });

  it("a wrong secret and a foreign key are invalid_client; a resource outside the scopes is invalid_target", async () => {
    await same("wrong secret", (t) => cc(t, t.m2mBasic.client, oauth.ClientSecretBasic("wrong-secret")), "invalid_client");
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    await same("foreign key", (t) => cc(t, t.m2mJwt.client, oauth.PrivateKeyJwt({ key: privateKey, kid: t.m2mJwt.key.kid })), "invalid_client");
    await same("unknown resource", (t) => cc(t, t.m2mBasic.client, oauth.ClientSecretBasic(t.m2mBasic.secret), { resource: "https://elsewhere.example/api" }), "invalid_target");
    await same("the hub as resource", (t) => cc(t, t.m2mBasic.client, oauth.ClientSecretBasic(t.m2mBasic.secret), { resource: t.resource }));
  });

  it("stricter: an assertion whose aud is the token endpoint URL (CVE-2025-27370/27371)", async () => {
    const toTokenEndpoint = (t: Target) =>
      cc(
        t,
        t.m2mJwt.client,
        oauth.PrivateKeyJwt(t.m2mJwt.key, {
          [oauth.modifyAssertion]: (_header, payload) => {
            payload.aud = t.as.token_endpoint!;
          },
        }),
      );
    differ("private_key_jwt with aud = token endpoint URL", await outcome(() => toTokenEndpoint(sk)), await outcome(() => toTokenEndpoint(ref)), {
      scopekeeper: "invalid_client",
      reference: "ok",
    });
  });

  it("a replayed client assertion (the same jti) is refused by both", async () => {
    await same(
      "replayed assertion",
      async (t) => {
        const now = Math.floor(Date.now() / 1000);
        const assertion = await new SignJWT({ iss: t.m2mJwt.client.client_id, sub: t.m2mJwt.client.client_id, aud: t.issuer, jti: randomUUID(), iat: now, exp: now + 60 })
          .setProtectedHeader({ alg: "ES256", kid: t.m2mJwt.key.kid })
          .sign(t.m2mJwt.key.key);
        const send = () =>
          fetch(t.as.token_endpoint!, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ grant_type: "client_credentials", scope: API_SCOPE, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion }),
          });
        const first = await send();
        expect(first.status, `${t.name}: ${await first.clone().text()}`).toBe(200);
        await oauth.processClientCredentialsResponse(t.as, t.m2mJwt.client, await send());
      },
      "invalid_client",
    );
  });
});

describe("device authorization grant (RFC 8628)", () => {
  const device = (t: Target) => oauth.deviceAuthorizationRequest(t.as, t.tv.client, oauth.None(), { scope: USER_SCOPE }, insecure).then((r) => oauth.processDeviceAuthorizationResponse(t.as, t.tv.client, r));
  const poll = (t: Target, code: string) => oauth.deviceCodeGrantRequest(t.as, t.tv.client, oauth.None(), code, insecure).then((r) => oauth.processDeviceCodeResponse(t.as, t.tv.client, r));

  it("codes, a person's approval, then tokens on the first poll", async () => {
    await same("device flow", async (t) => {
      const codes = await device(t);
      expect(codes.interval ?? 5).toBeGreaterThanOrEqual(5);
      await t.approveDevice(codes.user_code);
      const tokens = await poll(t, codes.device_code);
      expect(tokens.access_token).toEqual(expect.any(String));
      // Redeemed once.
      await poll(t, codes.device_code);
    }, "invalid_grant");
  });

  it("before a decision: authorization_pending; stricter: polling again at once is slow_down", async () => {
    const early = async (t: Target) => {
      const codes = await device(t);
      expect(await outcome(() => poll(t, codes.device_code))).toBe("authorization_pending");
      return outcome(() => poll(t, codes.device_code));
    };
    differ("a second poll sooner than the interval", await early(sk), await early(ref), { scopekeeper: "slow_down", reference: "authorization_pending" });
  });

  it("an unknown device_code is refused by both", async () => {
    const [a, b] = [await outcome(() => poll(sk, "made-up")), await outcome(() => poll(ref, "made-up"))];
    expect(a).toBe("invalid_grant");
    expect(b).toBe("invalid_grant");
  });
});

describe("pushed authorization requests (RFC 9126)", () => {
  const pushAs = async (t: Target, params: Record<string, string>) =>
    oauth.processPushedAuthorizationResponse(t.as, t.web.client, await oauth.pushedAuthorizationRequest(t.as, t.web.client, oauth.ClientSecretBasic(t.web.secret), params, insecure));

  async function parFlow(t: Target) {
    const { verifier, challenge } = await pkce();
    const params = authParams(t, challenge);
    const pushed = await pushAs(t, params);
    expect(pushed.request_uri.startsWith("urn:ietf:params:oauth:request_uri:")).toBe(true);
    expect(pushed.expires_in).toBeGreaterThan(0);
    const ref = { client_id: t.web.client.client_id, request_uri: pushed.request_uri };
    const { url, agent } = await t.authorize(ref);
    const callback = oauth.validateAuthResponse(t.as, t.web.client, url, params.state);
    await oauth.processAuthorizationCodeResponse(
      t.as,
      t.web.client,
      await oauth.authorizationCodeGrantRequest(t.as, t.web.client, oauth.ClientSecretBasic(t.web.secret), callback, CALLBACK, verifier, insecure),
      { expectedNonce: params.nonce },
    );
    return { ref, agent };
  }

  it("push, authorize by reference, redeem the code", async () => {
    await same("PAR flow", (t) => parFlow(t));
  });

  it("a request_uri used once is invalid_request_uri on both", async () => {
    const reuse = async (t: Target) => {
      const { ref, agent } = await parFlow(t);
      return authorizationError(await t.visit(ref, agent));
    };
    const [a, b] = [await reuse(sk), await reuse(ref)];
    expect({ a, b }).toEqual({ a: "invalid_request_uri", b: "invalid_request_uri" });
  });

  it("a reload before the code is issued still works on both (Scopekeeper consumes the request when the code is issued)", async () => {
    const reload = async (t: Target) => {
      const { challenge } = await pkce();
      const pushed = await pushAs(t, authParams(t, challenge));
      const ref = { client_id: t.web.client.client_id, request_uri: pushed.request_uri };
      await t.visit(ref);
      return outcome(() => t.authorize(ref));
    };
    expect({ scopekeeper: await reload(sk), reference: await reload(ref) }).toEqual({ scopekeeper: "ok", reference: "ok" });
  });

  it("the pushed parameters are validated at push time", async () => {
    const push = (extra: Record<string, string>) => async (t: Target) => pushAs(t, authParams(t, (await pkce()).challenge, extra));
    differ("an unknown scope in a push", await outcome(() => push({ scope: "openid not.a.scope" })(sk)), await outcome(() => push({ scope: "openid not.a.scope" })(ref)), {
      scopekeeper: "invalid_scope",
      reference: "ok",
    });
    await same("unsupported response_type", push({ response_type: "token" }), "unsupported_response_type");
    await same("an unregistered redirect_uri in a push", push({ redirect_uri: "https://evil.example/cb" }), "invalid_request");
    // Both refuse; the reference with the code it gives any request_uri it does not support.
    const [c, d] = [await outcome(() => push({ request_uri: "urn:ietf:params:oauth:request_uri:x" })(sk)), await outcome(() => push({ request_uri: "urn:ietf:params:oauth:request_uri:x" })(ref))];
    differ("a request_uri inside a push", c, d, { scopekeeper: "invalid_request", reference: "request_uri_not_supported" });
  });
});

describe("DPoP (RFC 9449) with server nonces", () => {
  async function dpopToken(t: Target, keyPair: CryptoKeyPair) {
    const dpop = oauth.DPoP(t.m2mBasic.client, keyPair);
    const request = () =>
      oauth
        .clientCredentialsGrantRequest(t.as, t.m2mBasic.client, oauth.ClientSecretBasic(t.m2mBasic.secret), { scope: API_SCOPE }, { ...insecure, DPoP: dpop })
        .then((r) => oauth.processClientCredentialsResponse(t.as, t.m2mBasic.client, r));
    let first = "ok";
    try {
      return { first, tokens: await request() };
    } catch (err) {
      if (!oauth.isDPoPNonceError(err)) throw err;
      first = "use_dpop_nonce";
      return { first, tokens: await request() };
    }
  }

  it("the first proof is answered use_dpop_nonce, the second gets a DPoP token bound to the key", async () => {
    for (const t of both()) {
      const keyPair = (await generateKeyPair("ES256", { extractable: true })) as CryptoKeyPair;
      const { first, tokens } = await dpopToken(t, keyPair);
      expect(first, t.name).toBe("use_dpop_nonce");
      expect(tokens.token_type, t.name).toBe("dpop");
      const { calculateJwkThumbprint } = await import("jose");
      const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
      expect((decodeJwt(tokens.access_token).cnf as { jkt: string }).jkt, t.name).toBe(jkt);
    }
  });

  it("stricter: the same proof sent twice", async () => {
    const replay = async (t: Target) => {
      const keyPair = (await generateKeyPair("ES256", { extractable: true })) as CryptoKeyPair;
      const jwk = await exportJWK(keyPair.publicKey);
      const send = async (proof: string) =>
        fetch(t.as.token_endpoint!, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(t.m2mBasic.client.client_id)}:${encodeURIComponent(t.m2mBasic.secret)}`).toString("base64")}`,
            dpop: proof,
          },
          body: new URLSearchParams({ grant_type: "client_credentials", scope: API_SCOPE }),
        });
      const proof = (nonce?: string) =>
        new SignJWT({ htm: "POST", htu: t.as.token_endpoint!, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...(nonce ? { nonce } : {}) })
          .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
          .sign(keyPair.privateKey);
      const nonce = (await send(await proof())).headers.get("dpop-nonce")!;
      const once = await proof(nonce);
      expect((await send(once)).status, t.name).toBe(200);
      const again = await send(once);
      return again.status === 200 ? "ok" : ((await again.json()) as { error: string }).error;
    };
    differ("a DPoP proof replayed at the token endpoint", await replay(sk), await replay(ref), { scopekeeper: "invalid_dpop_proof", reference: "invalid_grant" });
  });
});

describe("the differences, written down", () => {
  it("docs/conformance.md lists exactly the differences the suite pinned, with both outcomes", () => {
    const doc = readFileSync(fileURLToPath(new URL("../../docs/conformance.md", import.meta.url)), "utf8");
    const rows = new Map<string, { scopekeeper: string; reference: string }>();
    for (const m of doc.matchAll(/^\| ([^|]+?) \| `([^`]+)` \| `([^`]+)` \|/gm)) rows.set(m[1]!, { scopekeeper: m[2]!, reference: m[3]! });
    expect(Object.fromEntries(rows)).toEqual(DIFFERENCES);
  });
});
