// DPoP (RFC 9449): proofs at the token endpoint with server nonces, tokens bound to the key
// (cnf.jkt), a public client's refresh tokens bound too, and the binding held at every door
// that takes an access token (/graphql, /oauth/userinfo, introspection).
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorize, pkcePair } from "./helpers/agent.ts";
import { dpopProof, newClientKey, rawGraphql, type ClientKey } from "./helpers/client-keys.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let admin: Admin;
let key: ClientKey;
let tokenUrl: string;

const VIEWER = "{ viewer { kind } }";
const CREATE = `mutation($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) {
  __typename ... on CreateConnectApplicationSuccess { application { id clientId requireDpop } } ... on ValidationError { fieldErrors { path code } } } }`;
const ADD_SECRET = `mutation($input: AddClientSecretInput!) { addClientSecret(input: $input) { ... on AddClientSecretSuccess { plaintext } } }`;
const GRANT = `mutation($input: GrantScopesInput!) { grantScopes(input: $input) { __typename } }`;

async function gql(query: string, variables: Record<string, unknown>) {
  return (await rawGraphql(server.url, query, variables, { authorization: `Bearer ${admin.token}` })).body.data!;
}

const nonce = () => server.services.dpop.nonce();

async function dpopToken(k: ClientKey, form: Record<string, string>, auth: Record<string, string>, proofOptions: Parameters<typeof dpopProof>[3] = {}) {
  return postForm(tokenUrl, form, { ...auth, dpop: await dpopProof(k, "POST", tokenUrl, { nonce: nonce(), ...proofOptions }) });
}

const ccForm = { grant_type: "client_credentials", scope: "connect.applications.read" };
/** Without a proof, or with another key, the form is refused (invalid_grant) and not spent; with `key` it is bound to it. */
async function expectOnlyKeyRedeems(form: Record<string, string>) {
  const bare = await postForm(tokenUrl, form);
  expect(bare.status).toBe(400);
  expect(bare.body.error).toBe("invalid_grant");
  const thief = await dpopToken(await newClientKey("ES256"), form, {});
  expect(thief.status).toBe(400);
  expect(thief.body.error).toBe("invalid_grant");
  const owner = await dpopToken(key, form, {});
  expect(owner.status, JSON.stringify(owner.body)).toBe(200);
  expect(decodeJwt(owner.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  return bare;
}
const adminAuth = () => basic(admin.clientId, admin.clientSecret);

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Proof Co");
  key = await newClientKey("ES256");
  tokenUrl = `${server.url}/oauth/token`;
});
afterAll(async () => server?.close());

describe("the token endpoint", () => {
  it("asks for a server nonce first, then issues a DPoP token bound to the key (cnf.jkt)", async () => {
    const first = await postForm(tokenUrl, ccForm, { ...adminAuth(), dpop: await dpopProof(key, "POST", tokenUrl) });
    expect(first.status).toBe(400);
    expect(first.body.error).toBe("use_dpop_nonce");
    const given = first.headers.get("dpop-nonce");
    expect(given).toBeTruthy();
    const ok = await postForm(tokenUrl, ccForm, { ...adminAuth(), dpop: await dpopProof(key, "POST", tokenUrl, { nonce: given! }) });
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe("DPoP");
    expect(ok.headers.get("dpop-nonce")).toBeTruthy();
    expect(decodeJwt(ok.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });

  it("refuses a made-up nonce and a replayed proof", async () => {
    const forged = await postForm(tokenUrl, ccForm, { ...adminAuth(), dpop: await dpopProof(key, "POST", tokenUrl, { nonce: "AAAAAAAA.bm90LWEtbWFj" }) });
    expect(forged.body.error).toBe("use_dpop_nonce");
    const proof = await dpopProof(key, "POST", tokenUrl, { nonce: nonce() });
    expect((await postForm(tokenUrl, ccForm, { ...adminAuth(), dpop: proof })).status).toBe(200);
    const again = await postForm(tokenUrl, ccForm, { ...adminAuth(), dpop: proof });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: "invalid_dpop_proof" });
    expect(again.body.error_description).toContain("already used");
  });

  it("compares htu with the configured issuer, never with the Host header", async () => {
    const spoofed = await postForm(tokenUrl, ccForm, { ...adminAuth(), host: "evil.example", dpop: await dpopProof(key, "POST", "http://evil.example/oauth/token", { nonce: nonce() }) });
    expect(spoofed.status).toBe(400);
    expect(spoofed.body.error).toBe("invalid_dpop_proof");
    const honest = await postForm(tokenUrl, ccForm, { ...adminAuth(), host: "evil.example", dpop: await dpopProof(key, "POST", tokenUrl, { nonce: nonce() }) });
    expect(honest.status).toBe(200);
  });

  it("refuses a wrong typ, htm, an old iat, a private key in the header, and a symmetric alg", async () => {
    const now = Math.floor(Date.now() / 1000);
    const { SignJWT } = await import("jose");
    const proofs = [
      await dpopProof(key, "POST", tokenUrl, { nonce: nonce(), typ: "JWT" }),
      await dpopProof(key, "GET", tokenUrl, { nonce: nonce() }),
      await dpopProof(key, "POST", tokenUrl, { nonce: nonce(), iat: now - 600 }),
      await dpopProof(key, "POST", tokenUrl, { nonce: nonce(), iat: now + 600 }),
      await dpopProof(key, "POST", tokenUrl, { nonce: nonce(), jwk: { ...key.publicJwk, d: "AAAA" } }),
      await new SignJWT({ htm: "POST", htu: tokenUrl, jti: "x", iat: now, nonce: nonce() })
        .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt", jwk: { kty: "oct", k: "AAAA" } as never })
        .sign(new TextEncoder().encode("x".repeat(32))),
      "not-a-jwt",
    ];
    for (const proof of proofs) {
      const res = await postForm(tokenUrl, ccForm, { ...adminAuth(), dpop: proof });
      expect(res.status, proof.slice(0, 40)).toBe(400);
      expect(res.body.error).toBe("invalid_dpop_proof");
    }
  });

  it("refuses a crit header, a jwk that is not a key for the alg, an expired exp and a future nbf", async () => {
    const { KeyObject, sign } = await import("node:crypto");
    const now = Math.floor(Date.now() / 1000);
    const jwk = { kty: key.publicJwk.kty, crv: key.publicJwk.crv, x: key.publicJwk.x, y: key.publicJwk.y };
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    // Signed by hand with the proof key: jose would not sign some of these.
    const proof = (header: Record<string, unknown>, claims: Record<string, unknown> = {}) => {
      const input = `${part({ alg: "ES256", typ: "dpop+jwt", jwk, ...header })}.${part({ htm: "POST", htu: tokenUrl, jti: crypto.randomUUID(), iat: now, nonce: nonce(), ...claims })}`;
      return `${input}.${sign("sha256", Buffer.from(input), { key: KeyObject.from(key.privateKey), dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
    };
    expect((await postForm(tokenUrl, ccForm, { ...adminAuth(), dpop: proof({}) })).status).toBe(200);
    const refused: [string, string][] = [
      [proof({ crit: ["exp"] }), "not a JWT"],
      [proof({ alg: "RS256" }), "not a key for RS256"],
      [proof({ alg: "EdDSA" }), "not a key for EdDSA"],
      [proof({}, { exp: now - 60 }), "expired"],
      [proof({}, { nbf: now + 600 }), "not valid yet"],
    ];
    for (const [bad, why] of refused) {
      const res = await postForm(tokenUrl, ccForm, { ...adminAuth(), dpop: bad });
      expect(res.status, why).toBe(400);
      expect(res.body.error).toBe("invalid_dpop_proof");
      expect(res.body.error_description).toContain(why);
    }
  });

  it("requireDpop: the application gets no token without a proof", async () => {
    const made = (await gql(CREATE, { input: { name: "Bound only", applicationType: "M2M", organizationId: admin.organizationId, requireDpop: true, scopes: ["knowledge.portalmgr.read"] } })).createConnectApplication;
    expect(made.application.requireDpop).toBe(true);
    const secret = (await gql(ADD_SECRET, { input: { applicationId: made.application.id } })).addClientSecret.plaintext as string;
    const form = { grant_type: "client_credentials", scope: "knowledge.portalmgr.read" };
    const without = await postForm(tokenUrl, form, basic(made.application.clientId, secret));
    expect(without.status).toBe(400);
    expect(without.body.error).toBe("invalid_dpop_proof");
    const withProof = await dpopToken(key, form, basic(made.application.clientId, secret));
    expect(withProof.status).toBe(200);
    expect(withProof.body.token_type).toBe("DPoP");
  });
});

describe("resources", () => {
  let bound: string;
  beforeAll(async () => {
    bound = (await dpopToken(key, ccForm, adminAuth())).body.access_token as string;
  });
  const graphqlUrl = () => `${server.url}/graphql`;

  it("/graphql takes a bound token with the DPoP scheme and a proof bound to it (ath)", async () => {
    const res = await rawGraphql(server.url, VIEWER, {}, { authorization: `DPoP ${bound}`, dpop: await dpopProof(key, "POST", graphqlUrl(), { accessToken: bound }) });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ viewer: { kind: "APPLICATION" } });
  });

  it("refuses a bound token presented as Bearer (401)", async () => {
    const res = await rawGraphql(server.url, VIEWER, {}, { authorization: `Bearer ${bound}` });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^DPoP /);
  });

  it("refuses no proof, a proof for another token, another key, another URL, and a replayed proof", async () => {
    const other = await newClientKey("ES256");
    const cases: Record<string, string>[] = [
      {},
      { dpop: await dpopProof(key, "POST", graphqlUrl(), { accessToken: "another-token" }) },
      { dpop: await dpopProof(other, "POST", graphqlUrl(), { accessToken: bound }) },
      { dpop: await dpopProof(key, "POST", `${server.url}/oauth/userinfo`, { accessToken: bound }) },
    ];
    for (const headers of cases) {
      const res = await rawGraphql(server.url, VIEWER, {}, { authorization: `DPoP ${bound}`, ...headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_dpop_proof"');
    }
    const proof = await dpopProof(key, "POST", graphqlUrl(), { accessToken: bound });
    expect((await rawGraphql(server.url, VIEWER, {}, { authorization: `DPoP ${bound}`, dpop: proof })).status).toBe(200);
    expect((await rawGraphql(server.url, VIEWER, {}, { authorization: `DPoP ${bound}`, dpop: proof })).status).toBe(401);
  });

  it("refuses an unbound token presented with the DPoP scheme", async () => {
    const plain = (await postForm(tokenUrl, ccForm, adminAuth())).body.access_token as string;
    const res = await rawGraphql(server.url, VIEWER, {}, { authorization: `DPoP ${plain}`, dpop: await dpopProof(key, "POST", graphqlUrl(), { accessToken: plain }) });
    expect(res.status).toBe(401);
  });

  it("introspection describes a bound token: token_type DPoP and cnf.jkt", async () => {
    const res = await postForm(`${server.url}/oauth/introspect`, { token: bound }, adminAuth());
    expect(res.body).toMatchObject({ active: true, token_type: "DPoP", cnf: { jkt: key.jkt } });
  });
});

describe("a public client", () => {
  it("gets refresh tokens bound to its key; userinfo wants the DPoP scheme", async () => {
    const callback = "https://client.example.test/callback";
    const app = (
      await gql(CREATE, {
        input: { name: "Phone app", applicationType: "OAUTH", platform: "NATIVE", isFirstParty: false, organizationId: admin.organizationId, redirectUris: [{ uri: callback }] },
      })
    ).createConnectApplication.application as { id: string; clientId: string };
    expect((await gql(GRANT, { input: { applicationId: app.id, scopes: ["openid", "offline_access"], kind: "DELEGATED" } })).grantScopes.__typename).toBe("GrantScopesSuccess");
    const user = await createUser(server, admin.organizationDbId, "phone@proof.test");
    const { verifier, challenge } = pkcePair();
    const url = await authorize(
      new Agent(server.url),
      { response_type: "code", client_id: app.clientId, redirect_uri: callback, scope: "openid offline_access", state: "s", nonce: "n", code_challenge: challenge, code_challenge_method: "S256" },
      user,
    );
    const code = url.searchParams.get("code")!;
    const issued = await dpopToken(key, { grant_type: "authorization_code", code, redirect_uri: callback, code_verifier: verifier, client_id: app.clientId }, {});
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(issued.body.token_type).toBe("DPoP");
    const refresh = issued.body.refresh_token as string;

    const userinfo = `${server.url}/oauth/userinfo`;
    const access = issued.body.access_token as string;
    const asBearer = await fetch(userinfo, { headers: { authorization: `Bearer ${access}` } });
    expect(asBearer.status).toBe(401);
    const asDpop = await fetch(userinfo, { headers: { authorization: `DPoP ${access}`, dpop: await dpopProof(key, "GET", userinfo, { accessToken: access }) } });
    expect(asDpop.status).toBe(200);

    // Without a proof, or with another key: refused, and the token is not spent.
    await expectOnlyKeyRedeems({ grant_type: "refresh_token", refresh_token: refresh, client_id: app.clientId });
  });
});

describe("codes bound to a key at authorization (RFC 9449 §10)", () => {
  const callback = "https://client.example.test/bound";
  let app: { id: string; clientId: string };
  let user: { email: string; password: string };
  const parUrl = () => `${server.url}/oauth/par`;

  beforeAll(async () => {
    app = (
      await gql(CREATE, {
        input: { name: "Bound codes", applicationType: "OAUTH", platform: "NATIVE", isFirstParty: false, organizationId: admin.organizationId, redirectUris: [{ uri: callback }] },
      })
    ).createConnectApplication.application as { id: string; clientId: string };
    await gql(GRANT, { input: { applicationId: app.id, scopes: ["openid"], kind: "DELEGATED" } });
    user = await createUser(server, admin.organizationDbId, "bound@proof.test");
  });

  async function codeFor(extra: Record<string, string>) {
    const { verifier, challenge } = pkcePair();
    const url = await authorize(
      new Agent(server.url),
      { response_type: "code", client_id: app.clientId, redirect_uri: callback, scope: "openid", nonce: "n", code_challenge: challenge, code_challenge_method: "S256", ...extra },
      user,
    );
    const form = { grant_type: "authorization_code", code: url.searchParams.get("code")!, redirect_uri: callback, code_verifier: verifier, client_id: app.clientId };
    return { url, form };
  }

  it("dpop_jkt: only a proof made with that key redeems the code; a thief's key or no proof does not spend it", async () => {
    const { form } = await codeFor({ dpop_jkt: key.jkt });
    const bare = await expectOnlyKeyRedeems(form);
    expect(bare.body.error_description).toContain("dpop_jkt");
  });

  it("refuses a dpop_jkt that is no SHA-256 thumbprint", async () => {
    const { challenge } = pkcePair();
    const res = await new Agent(server.url).request(
      `/oauth/authorize?${new URLSearchParams({ response_type: "code", client_id: app.clientId, redirect_uri: callback, scope: "openid", nonce: "n", code_challenge: challenge, code_challenge_method: "S256", dpop_jkt: "short" })}`,
    );
    expect(res.status).toBe(303);
    const back = new URL(res.location!);
    expect(back.searchParams.get("error")).toBe("invalid_request");
    expect(back.searchParams.get("error_description")).toContain("dpop_jkt");
  });

  it("a DPoP proof sent with the push binds the code to its key; a dpop_jkt that differs from it is refused", async () => {
    const { verifier, challenge } = pkcePair();
    const params = { client_id: app.clientId, response_type: "code", redirect_uri: callback, scope: "openid", nonce: "n", code_challenge: challenge, code_challenge_method: "S256" };
    const other = await newClientKey("ES256");
    const mismatch = await postForm(parUrl(), { ...params, dpop_jkt: other.jkt }, { dpop: await dpopProof(key, "POST", parUrl()) });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toBe("invalid_dpop_proof");
    const forged = await postForm(parUrl(), params, { dpop: await dpopProof(key, "POST", tokenUrl) });
    expect(forged.body.error).toBe("invalid_dpop_proof");

    const pushed = await postForm(parUrl(), params, { dpop: await dpopProof(key, "POST", parUrl()) });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
    const url = await authorize(new Agent(server.url), { client_id: app.clientId, request_uri: pushed.body.request_uri as string }, user);
    const form = { grant_type: "authorization_code", code: url.searchParams.get("code")!, redirect_uri: callback, code_verifier: verifier, client_id: app.clientId };
    expect((await dpopToken(other, form, {})).body.error).toBe("invalid_grant");
    const owner = await dpopToken(key, form, {});
    expect(owner.status, JSON.stringify(owner.body)).toBe(200);
    expect(decodeJwt(owner.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });
});
