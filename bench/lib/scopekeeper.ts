// Scopekeeper as the benchmark runs it: `node bin/scopekeeper.js serve` child processes, data
// made with the CLI (bootstrap) and the GraphQL admin API, as the README's walkthrough does.
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import type { CpuBudget } from "./cpu-budget.ts";
import { runToCompletion, spawnChild, waitForHttp, type Child } from "./procs.ts";

export const BIN = path.resolve("bin/scopekeeper.js");
export const BENCH_SCOPE = "knowledge.portalmgr.read";
export const ADMIN_SCOPE = "connect.applications.manage";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function randomChars(n: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(n);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** The environment every Scopekeeper process of one database shares. ARGON2_* stay unset. */
export function scopekeeperEnv(databaseUrl: string, keySecret: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("ARGON2_") || k === "ISSUER" || k === "NODE_OPTIONS") delete env[k];
  return {
    ...env,
    HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    SCOPEKEEPER_KEY_ENCRYPTION_SECRET: keySecret,
  };
}

export interface ServerProcess {
  child: Child;
  url: string;
  port: number;
}

export async function startScopekeeper(
  name: string,
  env: NodeJS.ProcessEnv,
  options: { nodeArgs?: string[]; extraEnv?: NodeJS.ProcessEnv; migrate?: boolean; cpu?: number; budget?: CpuBudget } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const nodeCommand = [process.execPath, ...(options.nodeArgs ?? []), BIN, "serve", ...(options.migrate ? ["--migrate"] : [])];
  // Pinned to one core (taskset), a process's share of the machine is fixed: the scale-out
  // comparison then asks whether a second process on the other core adds what the first has.
  // With a CPU budget (a cgroup quota) its share is fixed too, without tying it to one core.
  const [pinned, ...pinnedArgs] = options.cpu === undefined ? nodeCommand : ["taskset", "-c", String(options.cpu), ...nodeCommand];
  const [command, args] = options.budget ? options.budget.wrap(pinned!, pinnedArgs) : [pinned!, pinnedArgs];
  const child = spawnChild(name, command, args, {
    env: { ...env, ...options.extraEnv, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/healthz`);
  return { child, url, port };
}

export async function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runToCompletion(`scopekeeper ${args[0]}`, process.execPath, [BIN, ...args], {
    env,
    timeoutMs: 120_000,
  });
  if (code !== 0) throw new Error(`scopekeeper ${args.join(" ")} failed (${code}):\n${stderr}${stdout}`);
  return stdout;
}

export interface Bootstrap {
  organizationId: string;
  clientId: string;
  clientSecret: string;
}

export async function bootstrap(env: NodeJS.ProcessEnv, org: string): Promise<Bootstrap> {
  const out = await cli(env, ["bootstrap", "--org", org, "--json"]);
  const line = out.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (!line) throw new Error(`bootstrap printed no JSON:\n${out}`);
  return JSON.parse(line) as Bootstrap;
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`;
}

export const TOKEN_BODY = `grant_type=client_credentials&scope=${encodeURIComponent(BENCH_SCOPE)}`;

export async function tokenRequest(
  tokenUrl: string,
  clientId: string,
  secret: string,
  scope = BENCH_SCOPE,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(tokenUrl, {
    method: "POST",
    headers: { authorization: basic(clientId, secret), "content-type": "application/x-www-form-urlencoded" },
    body: `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json };
}

export async function adminToken(baseUrl: string, admin: Bootstrap): Promise<string> {
  const { status, json } = await tokenRequest(`${baseUrl}/oauth/token`, admin.clientId, admin.clientSecret, ADMIN_SCOPE);
  if (status !== 200 || typeof json.access_token !== "string") throw new Error(`admin token failed: ${status} ${JSON.stringify(json)}`);
  return json.access_token;
}

export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(60_000),
    });
    const json = (await res.json()) as { data?: T; errors?: unknown[] };
    if (res.status !== 200 || json.errors || !json.data) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(json.errors ?? json)}`);
    return json.data;
  }

  async createApplication(input: Record<string, unknown>): Promise<{ id: string; clientId: string }> {
    const data = await this.request<{ createConnectApplication: { application?: { id: string; clientId: string }; message?: string } }>(
      `mutation Create($input: CreateConnectApplicationInput!) {
        createConnectApplication(input: $input) {
          __typename
          ... on CreateConnectApplicationSuccess { application { id clientId } }
          ... on Error { message }
        }
      }`,
      { input },
    );
    const r = data.createConnectApplication;
    if (!r.application) throw new Error(`createConnectApplication: ${r.message}`);
    return r.application;
  }

  async addSecret(applicationId: string): Promise<{ id: string; plaintext: string }> {
    const data = await this.request<{ addClientSecret: { plaintext?: string; clientSecret?: { id: string }; message?: string } }>(
      `mutation Secret($input: AddClientSecretInput!) {
        addClientSecret(input: $input) {
          __typename
          ... on AddClientSecretSuccess { plaintext clientSecret { id } }
          ... on Error { message }
        }
      }`,
      { input: { applicationId } },
    );
    const r = data.addClientSecret;
    if (!r.plaintext || !r.clientSecret) throw new Error(`addClientSecret: ${r.message}`);
    return { id: r.clientSecret.id, plaintext: r.plaintext };
  }

  async grantScopes(applicationId: string, scopes: string[]): Promise<void> {
    const data = await this.request<{ grantScopes: { __typename: string; message?: string } }>(
      `mutation Grant($input: GrantScopesInput!) {
        grantScopes(input: $input) { __typename ... on Error { message } }
      }`,
      { input: { applicationId, scopes } },
    );
    if (data.grantScopes.__typename !== "GrantScopesSuccess") throw new Error(`grantScopes: ${data.grantScopes.message}`);
  }

  /** The benchmarked client: an M2M app with one secret and the APPLICATION grant. */
  async createM2MClient(organizationId: string, name: string): Promise<{ clientId: string; clientSecret: string }> {
    const app = await this.createApplication({ name, applicationType: "M2M", organizationId });
    const secret = await this.addSecret(app.id);
    await this.grantScopes(app.id, [BENCH_SCOPE]);
    return { clientId: app.clientId, clientSecret: secret.plaintext };
  }
}

export const LIST_QUERY = `query List {
  applications(first: 100, applicationType: OAUTH) {
    edges {
      node {
        id clientId name applicationType platform
        redirectUris { uri default }
        postLogoutRedirectUris
        clientSecrets { id hint active createdAt lastUsedAt }
        scopeGrants { kind grantedAt scope { name } }
      }
    }
  }
}`;
