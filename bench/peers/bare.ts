// The bare baseline of issue 6: node:http, a Basic header checked against a plaintext secret
// in constant time, and an ES256 JWT signed with jose's SignJWT on every request. With
// BARE_MODE=constant it answers a token signed once at start-up: the machine's ceiling for
// "parse an HTTP request, check credentials, write a JSON response" in one Node process.
// Two more modes serve `npm run bench -- --signing`, which asks where ECDSA signing should
// run: node-sync signs with node:crypto's synchronous sign() on the main thread (as
// Scopekeeper's SigningKeys.signJwt does), node-async with its callback form, which runs on
// libuv's threadpool (jose's WebCrypto path also runs there).
//
// Env: PORT, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BARE_MODE (jwt | constant | node-sync | node-async).
// Prints one JSON line {"ready":true,...} on stdout once listening.
import { KeyObject, randomBytes, sign as nodeSign, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from "jose";

const port = Number(process.env.PORT ?? 0);
const host = "127.0.0.1";
const clientId = process.env.BENCH_CLIENT_ID ?? "bench-client";
const secret = Buffer.from(process.env.BENCH_CLIENT_SECRET ?? "bench-secret");
const MODES = ["jwt", "constant", "node-sync", "node-async"] as const;
const mode = MODES.find((m) => m === process.env.BARE_MODE) ?? "jwt";
const SCOPE = "knowledge.portalmgr.read";
const AUDIENCE = "https://api.example.com/knowledge";
const ORG_ID = randomBytes(12).toString("base64url");

const { privateKey, publicKey } = await generateKeyPair("ES256");
const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
const keyObject = KeyObject.from(privateKey);
const nodeHeader = Buffer.from(JSON.stringify({ alg: "ES256", typ: "at+jwt", kid })).toString("base64url");

function issuerOf(actualPort: number): string {
  return `http://${host}:${actualPort}`;
}

/** node:crypto directly, as Scopekeeper signs: synchronously, or on the threadpool. */
async function signWithNode(issuer: string, async: boolean): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: issuer,
    sub: clientId,
    aud: AUDIENCE,
    client_id: clientId,
    scope: SCOPE,
    iat: now,
    exp: now + 3600,
    jti: randomBytes(16).toString("base64url"),
    org_id: ORG_ID,
  };
  const input = `${nodeHeader}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  const options = { key: keyObject, dsaEncoding: "ieee-p1363" as const };
  const signature = async
    ? await new Promise<Buffer>((resolve, reject) =>
        nodeSign("sha256", Buffer.from(input), options, (err, sig) => (err ? reject(err) : resolve(sig))),
      )
    : nodeSign("sha256", Buffer.from(input), options);
  return `${input}.${signature.toString("base64url")}`;
}

/** The same claim set Scopekeeper issues (RFC 9068), so token sizes match. */
async function sign(issuer: string): Promise<string> {
  if (mode === "node-sync" || mode === "node-async") return signWithNode(issuer, mode === "node-async");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: clientId, scope: SCOPE, org_id: ORG_ID })
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid })
    .setIssuer(issuer)
    .setSubject(clientId)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .setJti(randomBytes(16).toString("base64url"))
    .sign(privateKey);
}

function authenticated(header: string | undefined): boolean {
  if (!header || !/^basic /i.test(header)) return false;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0 || decoded.slice(0, colon) !== clientId) return false;
  const presented = Buffer.from(decoded.slice(colon + 1));
  return presented.length === secret.length && timingSafeEqual(presented, secret);
}

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(json),
    "cache-control": "no-store",
    pragma: "no-cache",
    ...extra,
  });
  res.end(json);
}

let constantBody: unknown;

async function handle(req: IncomingMessage, res: ServerResponse, issuer: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (req.method !== "POST" || req.url !== "/oauth/token") return send(res, 404, { error: "not_found" });
  if (!authenticated(req.headers.authorization)) {
    return send(res, 401, { error: "invalid_client" }, { "www-authenticate": 'Basic realm="bare"' });
  }
  const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  if (form.get("grant_type") !== "client_credentials") return send(res, 400, { error: "unsupported_grant_type" });
  if (form.get("scope") !== SCOPE) return send(res, 400, { error: "invalid_scope" });
  if (mode === "constant") return send(res, 200, constantBody);
  const token = await sign(issuer);
  send(res, 200, { access_token: token, token_type: "Bearer", expires_in: 3600, scope: SCOPE });
}

const server = createServer((req, res) => {
  handle(req, res, issuerOf((server.address() as { port: number }).port)).catch(() => {
    if (!res.headersSent) send(res, 500, { error: "server_error" });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, host, async () => {
  const actual = (server.address() as { port: number }).port;
  constantBody = { access_token: await sign(issuerOf(actual)), token_type: "Bearer", expires_in: 3600, scope: SCOPE };
  console.log(JSON.stringify({ ready: true, port: actual, mode }));
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
