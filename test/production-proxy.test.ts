// The production setup of docs/operations.md, run here: nginx from Debian with docs/nginx.conf
// (ports, names and certificate paths replaced) terminates TLS with a certificate made by this
// test, in front of two `scopekeeper serve` processes (the compiled server, environment from
// docs/scopekeeper.env) sharing one PostgreSQL database. Checked through the proxy: the https
// issuer everywhere, Secure cookies, https-only redirects, DPoP `htu` against the public URL,
// X-Forwarded-For believed only from the proxy (throttles), both processes serving, and one
// stopped without a failed request.
// Without nginx this file is skipped, saying how to install it; under CI=true it fails instead.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliInProcess } from "./helpers/cli.ts";
import { dpopProof, newClientKey } from "./helpers/client-keys.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { readEnvFile } from "./helpers/env-file.ts";
import { freePort, TEST_ARGON2_ENV } from "./helpers/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "bin/scopekeeper.js");
/** Debian's nginx; NGINX_PATH overrides it (e.g. to check the skip and CI paths). */
const NGINX = (process.env.NGINX_PATH ? [process.env.NGINX_PATH] : ["/usr/sbin/nginx", "/usr/bin/nginx"]).find((p) => existsSync(p));
const NGINX_INSTALL = "apt-get update && apt-get install -y nginx";
const isCI = Boolean(process.env.CI) && process.env.CI !== "false" && process.env.CI !== "0";
const MAX_FAILURES_PER_ADDRESS = 3;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

let ca = "";

/** One request on a new connection (so `localAddress` picks the client's address). */
function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; form?: Record<string, string>; json?: unknown; localAddress?: string } = {},
): Promise<Reply> {
  const u = new URL(url);
  const body = init.form ? new URLSearchParams(init.form).toString() : init.json !== undefined ? JSON.stringify(init.json) : undefined;
  const headers: Record<string, string> = { ...init.headers };
  if (body !== undefined) headers["content-type"] = init.form ? "application/x-www-form-urlencoded" : "application/json";
  return new Promise((resolve, reject) => {
    const options = { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, agent: false as const, localAddress: init.localAddress, ca };
    const req = (u.protocol === "https:" ? https : http).request(u, options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}` });

interface Process {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

let dir = "";
let database: TestDatabase | undefined;
const processes: Process[] = [];
let nginx: ChildProcess | undefined;
let nginxLog = "";
let issuer = "";
let httpPort = 0;
let serverEnv: Record<string, string> = {};
let admin = { clientId: "", clientSecret: "" };

async function waitFor(url: string, what: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await request(url).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered 200:\n${what()}`);
}

async function startScopekeeper(port: number): Promise<Process> {
  const child = spawn(process.execPath, [CLI, "serve"], { cwd: ROOT, env: { ...serverEnv, PORT: String(port) } });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const p = { child, port, output: () => output, exited };
  processes.push(p);
  await waitFor(`http://127.0.0.1:${port}/readyz`, () => output);
  return p;
}

/** docs/nginx.conf with this test's ports, names and certificate; every replaced text must be there. */
function nginxSite(ports: { https: number; http: number; upstreams: number[] }, cert: string, key: string): string {
  let site = readFileSync(path.join(ROOT, "docs/nginx.conf"), "utf8");
  const replace = (from: string, to: string) => {
    if (!site.includes(from)) throw new Error(`docs/nginx.conf no longer contains ${JSON.stringify(from)}: update this test with it`);
    site = site.replaceAll(from, to);
  };
  replace("server 127.0.0.1:4000 ", `server 127.0.0.1:${ports.upstreams[0]} `);
  replace("server 127.0.0.1:4001 ", `server 127.0.0.1:${ports.upstreams[1]} `);
  replace("listen 80;", `listen 127.0.0.1:${ports.http};`);
  replace("listen 443 ssl;", `listen 127.0.0.1:${ports.https} ssl;`);
  replace("https://auth.example.com", `https://127.0.0.1:${ports.https}`);
  replace("server_name auth.example.com;", "server_name 127.0.0.1;");
  replace("/etc/ssl/certs/auth.example.com.pem", cert);
  replace("/etc/ssl/private/auth.example.com.key", key);
  return site;
}

async function metricOf(p: Process, name: string, label: string): Promise<number> {
  const res = await request(`http://127.0.0.1:${p.port}/metrics`, { headers: { authorization: `Bearer ${serverEnv.METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  let sum = 0;
  for (const line of res.text.split("\n")) if (line.startsWith(`${name}{`) && line.includes(label)) sum += Number(line.split(" ").pop());
  return sum;
}

const suite = NGINX ? describe : describe.skip;
if (!NGINX) {
  if (isCI) {
    describe("the production setup behind nginx", () => {
      it("needs nginx, which .ci/run installs", () => {
        throw new Error(`nginx is not installed: ${NGINX_INSTALL}`);
      });
    });
  } else {
    console.warn(`test/production-proxy.test.ts skipped: nginx is not installed (${NGINX_INSTALL})`);
  }
}

suite("the production setup behind nginx", () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-proxy-"));
    chmodSync(dir, 0o755);
    const cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert], { stdio: "ignore" });
    ca = readFileSync(cert, "utf8");

    const [httpsPort, plainPort, p1, p2] = [await freePort(), await freePort(), await freePort(), await freePort()];
    httpPort = plainPort!;
    issuer = `https://127.0.0.1:${httpsPort}`;
    database = await createTestDatabase({ provider: "postgresql" });
    serverEnv = {
      ...readEnvFile(path.join(ROOT, "docs/scopekeeper.env")),
      PATH: process.env.PATH!,
      HOME: process.env.HOME!,
      ISSUER: issuer,
      DATABASE_URL: database.url,
      LOG_LEVEL: "warn",
      CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: String(MAX_FAILURES_PER_ADDRESS),
      ...TEST_ARGON2_ENV,
    };
    const boot = await runCliInProcess(["bootstrap", "--org", "Proxied", "--json"], serverEnv);
    expect(boot.status, boot.stderr).toBe(0);
    admin = JSON.parse(boot.stdout) as typeof admin;
    await Promise.all([startScopekeeper(p1!), startScopekeeper(p2!)]);

    mkdirSync(path.join(dir, "tmp"));
    writeFileSync(path.join(dir, "scopekeeper.conf"), nginxSite({ https: httpsPort!, http: plainPort!, upstreams: [p1!, p2!] }, cert, key));
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${dir}/tmp/${t};`).join(" ");
    writeFileSync(
      path.join(dir, "nginx.conf"),
      `daemon off;\nmaster_process on;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\n` +
        `events { worker_connections 256; }\nhttp { access_log off; ${temp}\ninclude ${dir}/scopekeeper.conf; }\n`,
    );
    const check = spawnSync(NGINX!, ["-t", "-p", dir, "-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`], { encoding: "utf8" });
    expect(check.status, `nginx -t refused docs/nginx.conf:\n${check.stderr}`).toBe(0);
    nginx = spawn(NGINX!, ["-p", dir, "-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`]);
    nginx.stderr!.on("data", (c: Buffer) => (nginxLog += c.toString()));
    await waitFor(`${issuer}/healthz`, () => nginxLog + (existsSync(`${dir}/error.log`) ? readFileSync(`${dir}/error.log`, "utf8") : ""));
  }, 120_000);

  afterAll(async () => {
    if (nginx?.pid && nginx.exitCode === null) {
      const gone = new Promise((r) => nginx!.once("exit", r));
      nginx.kill("SIGTERM");
      await gone;
    }
    for (const p of processes) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await Promise.all(processes.map((p) => p.exited));
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("publishes the https issuer and its endpoints over TLS, with HSTS", async () => {
    const res = await request(`${issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ issuer, token_endpoint: `${issuer}/oauth/token`, authorization_endpoint: `${issuer}/oauth/authorize`, jwks_uri: `${issuer}/.well-known/jwks.json` });
    expect(res.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
  });

  it("redirects plain http to the https issuer, path and query kept", async () => {
    const res = await request(`http://127.0.0.1:${httpPort}/oauth/authorize?client_id=x&state=y`);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`${issuer}/oauth/authorize?client_id=x&state=y`);
  });

  it("signs a person in through the proxy with Secure cookies and https-only redirects, across both processes", async () => {
    const token = (await request(`${issuer}/oauth/token`, { headers: basic(admin.clientId, admin.clientSecret), form: { grant_type: "client_credentials", scope: "connect.applications.manage" } })).json.access_token as string;
    const gql = async (query: string, variables: Record<string, unknown>) =>
      (await request(`${issuer}/graphql`, { headers: { authorization: `Bearer ${token}` }, json: { query, variables } })).json.data as Record<string, Record<string, unknown>>;
    const orgs = await gql("{ viewer { memberships { organization { id } } } }", {});
    const organizationId = ((orgs.viewer!.memberships as { organization: { id: string } }[])[0]!.organization.id);
    const created = await gql(
      `mutation($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) { __typename ... on CreateConnectApplicationSuccess { application { id clientId } } } }`,
      { input: { name: "Behind the proxy", applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId, redirectUris: [{ uri: "https://app.example.com/callback" }] } },
    );
    const app = (created.createConnectApplication as { application: { id: string; clientId: string } }).application;
    await gql(`mutation($input: GrantScopesInput!) { grantScopes(input: $input) { __typename } }`, { input: { applicationId: app.id, scopes: ["openid", "knowledge.portalmgr.read"], kind: "DELEGATED" } });
    const user = await runCliInProcess(["user", "add", "--org", organizationId, "--email", "pat@example.com", "--password", "a long password", "--role", "member"], serverEnv);
    expect(user.status, user.stderr).toBe(0);

    const cookies = new Map<string, string>();
    const setCookies: string[] = [];
    const locations: string[] = [];
    const browse = async (pathOrUrl: string, form?: Record<string, string>) => {
      const res = await request(pathOrUrl.startsWith("https://") ? pathOrUrl : `${issuer}${pathOrUrl}`, {
        headers: cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } : {},
        ...(form ? { form } : {}),
      });
      for (const c of [res.headers["set-cookie"] ?? []].flat()) {
        setCookies.push(c);
        const [pair] = c.split(";");
        const at = pair!.indexOf("=");
        cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1));
      }
      if (res.headers.location) locations.push(res.headers.location);
      return res;
    };
    const fields = (html: string) => Object.fromEntries([...html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, "&")]));

    const query = new URLSearchParams({ response_type: "code", client_id: app.clientId, redirect_uri: "https://app.example.com/callback", scope: "openid knowledge.portalmgr.read", state: "s1", nonce: "n1", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" });
    let res = await browse(`/oauth/authorize?${query}`);
    expect(res.status).toBe(303);
    const loginPage = await browse(res.headers.location!);
    expect(loginPage.status).toBe(200);
    res = await browse("/oauth/login", { ...fields(loginPage.text), email: "pat@example.com", password: "a long password" });
    expect(res.status, res.text.slice(0, 300)).toBe(303);
    res = await browse(res.headers.location!);
    if (res.status === 200) res = await browse("/oauth/authorize", { ...fields(res.text), decision: "approve" });
    expect(res.status).toBe(303);
    const callback = new URL(res.headers.location!);
    expect(`${callback.origin}${callback.pathname}`).toBe("https://app.example.com/callback");
    expect(callback.searchParams.get("iss")).toBe(issuer);
    expect(callback.searchParams.get("code")).toBeTruthy();

    expect(setCookies.length).toBeGreaterThan(0);
    for (const c of setCookies) expect(c, c).toMatch(/;\s*Secure/i);
    for (const l of locations) expect(l.startsWith("/") || l.startsWith(`${issuer}/`) || l.startsWith("https://app.example.com/"), l).toBe(true);
  });

  it("checks a DPoP proof's htu against the public https URL, not the address behind the proxy", async () => {
    const key = await newClientKey("ES256");
    const tokenUrl = `${issuer}/oauth/token`;
    const form = { grant_type: "client_credentials", scope: "connect.applications.read" };
    const post = async (htu: string, nonce?: string) =>
      request(tokenUrl, { headers: { ...basic(admin.clientId, admin.clientSecret), dpop: await dpopProof(key, "POST", htu, nonce ? { nonce } : {}) }, form });
    const first = await post(tokenUrl);
    expect(first.json.error).toBe("use_dpop_nonce");
    const nonce = first.headers["dpop-nonce"] as string;
    // The nonce was made by one process; the proxy sends the next request to the other.
    const ok = await post(tokenUrl, nonce);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.token_type).toBe("DPoP");
    expect(decodeJwt(ok.json.access_token as string).cnf).toEqual({ jkt: key.jkt });
    const inside = await post(`http://127.0.0.1:${processes[0]!.port}/oauth/token`, ok.headers["dpop-nonce"] as string);
    expect(inside.status).toBe(400);
    expect(inside.json.error).toBe("invalid_dpop_proof");
    // The bound token at /graphql through the proxy: htu is the public URL there too.
    const accessToken = ok.json.access_token as string;
    const gql = async (htu: string, n: string) => {
      const proof = await dpopProof(key, "POST", htu, { nonce: n, accessToken });
      return (await request(`${issuer}/graphql`, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof }, json: { query: "{ viewer { kind } }" } })).status;
    };
    expect(await gql(`${issuer}/graphql`, ok.headers["dpop-nonce"] as string)).toBe(200);
    expect(await gql(`http://127.0.0.1:${processes[0]!.port}/graphql`, ok.headers["dpop-nonce"] as string)).toBe(401);
  });

  it("counts failed client authentications by the client's address from X-Forwarded-For only when the proxy sends it", async () => {
    const wrong = basic(admin.clientId, "sk_wrong_secret");
    const form = { grant_type: "client_credentials", scope: "connect.applications.read" };
    const viaProxy = (from: string, headers: Record<string, string> = {}) => request(`${issuer}/oauth/token`, { headers: { ...wrong, ...headers }, form, localAddress: from });
    const direct = (from: string, forged: string) => request(`http://127.0.0.1:${processes[0]!.port}/oauth/token`, { headers: { ...wrong, "x-forwarded-for": forged }, form, localAddress: from });

    // Through the proxy: 127.0.0.3 reaches its limit; 127.0.0.4, behind the same proxy, does not.
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) expect((await viaProxy("127.0.0.3")).status).toBe(401);
    expect((await viaProxy("127.0.0.3")).status).toBe(429);
    expect((await viaProxy("127.0.0.4")).status).toBe(401);
    // A client's own X-Forwarded-For is replaced by the proxy: 127.0.0.4 claiming to be 127.0.0.3 is 127.0.0.4.
    expect((await viaProxy("127.0.0.4", { "x-forwarded-for": "127.0.0.3" })).status).toBe(401);

    // Straight to a process, X-Forwarded-For is not believed: each attempt claims another
    // address, and all of them count against the real one, 127.0.0.5.
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) expect((await direct("127.0.0.5", `10.9.9.${i}`)).status).toBe(401);
    const refused = await direct("127.0.0.5", "10.9.9.99");
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBeTruthy();
  });

  it("spreads requests over both processes, and keeps answering when one stops", async () => {
    const route = 'route="/.well-known/jwks.json"';
    const before = await Promise.all(processes.map((p) => metricOf(p, "scopekeeper_http_requests_total", route)));
    for (let i = 0; i < 6; i++) expect((await request(`${issuer}/.well-known/jwks.json`)).status).toBe(200);
    const after = await Promise.all(processes.map((p) => metricOf(p, "scopekeeper_http_requests_total", route)));
    expect(after[0]! - before[0]!, "process 1 served none").toBeGreaterThan(0);
    expect(after[1]! - before[1]!, "process 2 served none").toBeGreaterThan(0);

    const stopped = processes[1]!;
    stopped.child.kill("SIGTERM");
    expect(await stopped.exited).toBe(0);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(`${issuer}/.well-known/openid-configuration`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const token = await request(`${issuer}/oauth/token`, { headers: basic(admin.clientId, admin.clientSecret), form: { grant_type: "client_credentials", scope: "connect.applications.read" } });
    expect(token.status).toBe(200);
  });
});
