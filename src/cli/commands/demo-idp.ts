// `scopekeeper demo-idp`: a small OpenID provider on a loopback address, for trying token
// exchange and on-behalf-of from a shell (the README does). It publishes its metadata and
// JWKS like any provider and signs a token for whoever asks at POST /token: a demo, which is
// why it listens only on loopback and its key lives only as long as the process.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { parseOptions } from "../args.ts";
import { CliError } from "../errors.ts";
import type { Command } from "./command.ts";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const MAX_BODY = 16 * 1024;
const DEFAULT_TTL = 300;
const MAX_TTL = 3600;

export interface DemoIdentityProvider {
  issuer: string;
  close(): Promise<void>;
}

/** Starts the demo provider on host:port (0 = any free port); resolves once it listens. */
export async function startDemoIdentityProvider(options: { host: string; port: number }): Promise<DemoIdentityProvider> {
  const kid = `demo-${Date.now().toString(36)}`;
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }] };
  let issuer = "";

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: http.ServerResponse, description: string) => send(res, 400, { error: "invalid_request", error_description: description });

  const mint = async (form: URLSearchParams) => {
    const sub = form.get("sub");
    const aud = form.get("aud");
    if (!sub) return "sub is required";
    if (!aud) return "aud is required (the audience the identity provider is registered with at Scopekeeper)";
    const ttl = form.has("ttl") ? Number(form.get("ttl")) : DEFAULT_TTL;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) return `ttl must be 1-${MAX_TTL} seconds`;
    const email = form.get("email");
    const claims = email ? { email, email_verified: form.get("email_verified") !== "false" } : {};
    const sign = (typ: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid, typ })
        .setIssuer(issuer)
        .setSubject(sub)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime(`${ttl}s`)
        .setJti(randomUUID())
        .sign(privateKey);
    return { id_token: await sign("JWT"), access_token: await sign("at+jwt"), token_type: "Bearer", expires_in: ttl };
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/.well-known/openid-configuration") {
      return send(res, 200, {
        issuer,
        jwks_uri: `${issuer}/jwks.json`,
        token_endpoint: `${issuer}/token`,
        id_token_signing_alg_values_supported: ["ES256"],
        subject_types_supported: ["public"],
        response_types_supported: ["id_token"],
      });
    }
    if (req.method === "GET" && path === "/jwks.json") return send(res, 200, jwks);
    if (path !== "/token") return send(res, 404, { error: "not_found" });
    if (req.method !== "POST") return send(res, 405, { error: "invalid_request", error_description: "POST a form: sub, aud, and optionally email, ttl" });
    let body = "";
    let tooLarge = false;
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) tooLarge = true;
    });
    req.on("end", () => {
      if (tooLarge) return refuse(res, "the body is too large");
      mint(new URLSearchParams(body)).then(
        (minted) => (typeof minted === "string" ? refuse(res, minted) : send(res, 200, minted)),
        () => send(res, 500, { error: "server_error" }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "EADDRINUSE") throw new CliError(`port ${options.port} is in use: choose another with --port`);
    throw err;
  });
  const address = server.address() as AddressInfo;
  issuer = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const demoIdp: Command = {
  name: "demo-idp",
  summary: "a demo OpenID provider on loopback that mints tokens, for trying token exchange",
  help: `Usage: scopekeeper demo-idp [--port 4001] [--host 127.0.0.1]

Starts a small OpenID provider for trying token exchange and on-behalf-of: its issuer is
http://HOST:PORT, with /.well-known/openid-configuration and /jwks.json (a new ES256 key
each start), and POST /token signs an ID token and an access token for any subject you
name (form fields: sub, aud, and optionally email, ttl in seconds, 300 by default). It
trusts everyone who reaches it, so it listens on a loopback address only: a demo, never
an identity provider for real people (a server with NODE_ENV=production refuses it: identity
providers must use https there). Needs no database. Stop it with Ctrl-C.

Options:
  --port N      port to listen on (default 4001)
  --host H      127.0.0.1 (default), ::1 or localhost
  --help, -h    show this help

Example:
  scopekeeper demo-idp &
  curl -s http://127.0.0.1:4001/token -d sub=00u-alice -d email=alice@example.com \\
    -d aud=api://scopekeeper | jq -r .id_token`,
  async run(args) {
    const values = parseOptions("demo-idp", args, { port: { type: "string", value: "a port number, 0-65535" }, host: { type: "string", value: "a loopback address" } });
    const host = values.host ?? "127.0.0.1";
    if (!LOOPBACK.has(host)) throw new CliError(`--host must be a loopback address (127.0.0.1, ::1 or localhost): the demo provider signs tokens for anyone who reaches it`);
    const port = values.port === undefined ? 4001 : Number(values.port);
    if (!/^\d+$/.test(values.port ?? "4001") || port > 65535) throw new CliError(`--port needs a value: a port number, 0-65535`);
    const idp = await startDemoIdentityProvider({ host, port });
    console.log(`demo identity provider at ${idp.issuer} (signs tokens for anyone who asks: for trying token exchange only)`);
    return "running";
  },
};
