// Environment -> validated configuration. The only module that reads process.env for settings.
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { HUB_AUDIENCE_PREFIX } from "../catalog/audiences.ts";

/** An entry Fastify's trustProxy (proxy-addr) understands: an address, a CIDR or a named range. */
function isProxyAddress(entry: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(entry)) return true;
  if (ipaddr.isValid(entry)) return true;
  try {
    ipaddr.parseCIDR(entry);
    return true;
  } catch {
    return false;
  }
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const positiveInt = (min: number, max: number) =>
  z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: positiveInt(1, 65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  ISSUER: z
    .url({ protocol: /^https?$/ })
    .refine((u) => !u.endsWith("/") && !u.includes("?") && !u.includes("#"), {
      message: "must be an http(s) URL without a trailing slash, query or fragment",
    })
    .optional(),
  DATABASE_URL: z
    .string()
    .refine((u) => u.startsWith("file:") || /^postgres(ql)?:\/\//.test(u), {
      message: "must start with file: (SQLite) or postgresql:// (PostgreSQL)",
    })
    .default("file:./data/scopekeeper.db"),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  SCOPEKEEPER_KEY_ENCRYPTION_SECRET: z
    .string()
    .min(32, { message: "must be at least 32 characters" })
    .optional(),
  SCOPEKEEPER_PLUGINS: z.string().default(""),
  SCOPEKEEPER_PLUGINS_DIR: z.string().optional(),
  /** The deployment's API base URL: each plugin hub's audience becomes <base>/<hub id>. */
  SCOPEKEEPER_API_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .refine((u) => !u.endsWith("/") && !u.includes("?") && !u.includes("#"), {
      message: "must be an http(s) URL without a trailing slash, query or fragment",
    })
    .optional(),
  /** Access-token lifetime in seconds. */
  ACCESS_TOKEN_TTL: positiveInt(60, 86400).default(3600),
  /** Browser login sessions at the authorization server, in seconds. */
  SESSION_TTL: positiveInt(300, 30 * 86400).default(8 * 3600),
  /** Refresh-token lifetime in seconds (each rotation starts a new one). */
  REFRESH_TOKEN_TTL: positiveInt(3600, 365 * 86400).default(30 * 86400),
  /** First-party applications skip the consent page (their users already trust the operator). */
  FIRST_PARTY_SKIP_CONSENT: z.enum(["true", "false"]).default("true"),
  /** RFC 9126: every application's authorization requests only through /oauth/par (the console's own client excepted). */
  REQUIRE_PAR: z.enum(["true", "false"]).default("false"),
  /**
   * Limits on one GraphQL document: a single request must not be able to exhaust the server.
   * Cost counts a list field's `first` as a multiplier: a page of 100 applications with their
   * redirect URIs, secrets and grants costs about 11,000.
   */
  GRAPHQL_MAX_DEPTH: positiveInt(2, 100).default(12),
  GRAPHQL_MAX_ALIASES: positiveInt(0, 1000).default(15),
  GRAPHQL_MAX_COST: positiveInt(10, 10_000_000).default(50_000),
  GRAPHQL_MAX_TOKENS: positiveInt(50, 100_000).default(2000),
  GRAPHQL_MAX_DIRECTIVES: positiveInt(0, 1000).default(20),
  /**
   * How long a read-only admin API answer is reused for the same principal (src/graphql/response-cache.ts).
   * Changes made through this process show at once; another process's within this time. 0: off.
   */
  GRAPHQL_RESPONSE_CACHE_TTL_MS: positiveInt(0, 60_000).default(1000),
  /** Audit events are kept this many days, then swept. */
  AUDIT_RETENTION_DAYS: positiveInt(1, 36500).default(400),
  /** Prometheus metrics: a bearer token for /metrics on the main port, and/or a port of their own. */
  METRICS_TOKEN: z.string().min(16, { message: "must be at least 16 characters" }).optional(),
  METRICS_PORT: positiveInt(1, 65535).optional(),
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /**
   * HTTP limits (src/http/hardening.ts). Bodies: /oauth/* takes small forms, everything else
   * (the GraphQL API) up to HTTP_BODY_LIMIT. Timeouts in milliseconds: a whole request (headers
   * and body) must arrive within HTTP_REQUEST_TIMEOUT_MS, an idle keep-alive connection closes
   * after HTTP_KEEP_ALIVE_TIMEOUT_MS (above a load balancer's idle timeout: 60 s on AWS ALB),
   * a socket with no traffic at all after HTTP_CONNECTION_TIMEOUT_MS.
   */
  HTTP_BODY_LIMIT: positiveInt(1024, 64 * 1024 * 1024).default(1024 * 1024),
  OAUTH_BODY_LIMIT: positiveInt(1024, 1024 * 1024).default(16 * 1024),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt(100, 600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt(100, 600_000).default(72_000),
  HTTP_CONNECTION_TIMEOUT_MS: positiveInt(100, 3_600_000).default(120_000),
  /** On SIGTERM/SIGINT, in-flight requests get this long to finish before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: positiveInt(100, 600_000).default(10_000),
  /** Argon2id cost (OWASP minimum by default); tests may lower it, benchmarks never do. */
  ARGON2_MEMORY_KIB: positiveInt(1024, 4 * 1024 * 1024).default(19456),
  ARGON2_TIME_COST: positiveInt(1, 100).default(2),
  ARGON2_PARALLELISM: positiveInt(1, 16).default(1),
  /**
   * Whose X-Forwarded-For to believe (Fastify's trustProxy): "false" (the peer's own address),
   * "true" (any peer: only behind a proxy that overwrites the header), or a comma-separated
   * list of the proxies' addresses and CIDRs. (Fastify refuses hop counts: they cannot tell a
   * proxy from a client that sends the header itself.)
   */
  TRUST_PROXY: z
    .string()
    .refine((v) => v === "true" || v === "false" || v.split(",").every((entry) => isProxyAddress(entry.trim())), {
      message: "must be true, false or a comma-separated list of proxy addresses, CIDRs, loopback, linklocal or uniquelocal",
    })
    .default("false"),
  /** Throttle counters go to Redis when set (several processes without PostgreSQL, or to spare the database). */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, { message: "must start with redis:// or rediss://" }).optional(),
  /**
   * On PostgreSQL, changes reach every process's caches through LISTEN/NOTIFY (src/changes/feed.ts).
   * "off" leaves only the caches' time bounds (for measuring the difference; never in production).
   */
  CHANGE_FEED: z.enum(["on", "off"]).default("on"),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, { message: "must be 1-64 letters, digits, ':', '_' or '-'" }).default("scopekeeper"),
  /** Failed client authentications: per source address (IPv6 per /64) and per client_id, per window. */
  CLIENT_AUTH_THROTTLE_WINDOW_SECONDS: positiveInt(1, 86400).default(60),
  CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: positiveInt(1, 1_000_000).default(20),
  CLIENT_AUTH_MAX_FAILURES_PER_CLIENT: positiveInt(2, 1_000_000).default(100),
  /** Failed sign-ins: per source address (IPv6 per /64) and per account (email), per window. */
  SIGN_IN_THROTTLE_WINDOW_SECONDS: positiveInt(1, 86400).default(300),
  SIGN_IN_MAX_FAILURES_PER_ADDRESS: positiveInt(1, 1_000_000).default(20),
  SIGN_IN_MAX_FAILURES_PER_ACCOUNT: positiveInt(2, 1_000_000).default(50),
  /** Wrong user codes at /oauth/device (RFC 8628 §5.1): per source address and per browser session. */
  DEVICE_CODE_THROTTLE_WINDOW_SECONDS: positiveInt(1, 86400).default(300),
  DEVICE_CODE_MAX_FAILURES_PER_ADDRESS: positiveInt(1, 1_000_000).default(20),
  DEVICE_CODE_MAX_FAILURES_PER_SESSION: positiveInt(1, 1_000_000).default(5),
  /**
   * Mail (invitations, password resets, notices): an SMTP server as smtp://[user:pass@]host:port
   * (smtps:// for TLS from the first byte). Unset: nothing is mailed.
   */
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s/?#]+(\/?)$/, { message: "must be smtp://host:port or smtps://host:port (credentials as user:pass@)" }).optional(),
  /** The sender of every mail: an address, or `Name <address>`. Default: Scopekeeper <no-reply@the issuer's host>. */
  MAIL_FROM: z
    .string()
    .regex(/^(?:[^<>\r\n]{1,100} <[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, { message: "must be an address or Name <address>" })
    .optional(),
})
  // One address alone must never reach a client's or an account's limit: otherwise a single
  // attacker could lock the real client or person out from everywhere.
  .refine((e) => e.CLIENT_AUTH_MAX_FAILURES_PER_CLIENT > e.CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS, {
    path: ["CLIENT_AUTH_MAX_FAILURES_PER_CLIENT"],
    message: "must be greater than CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS (one address must not be able to lock a client out)",
  })
  .refine((e) => e.SIGN_IN_MAX_FAILURES_PER_ACCOUNT > e.SIGN_IN_MAX_FAILURES_PER_ADDRESS, {
    path: ["SIGN_IN_MAX_FAILURES_PER_ACCOUNT"],
    message: "must be greater than SIGN_IN_MAX_FAILURES_PER_ADDRESS (one address must not be able to lock an account out)",
  });

export type Env = z.input<typeof envSchema>;

export interface Config {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  issuer: string;
  databaseUrl: string;
  logLevel: (typeof logLevels)[number];
  keyEncryptionSecret: string | undefined;
  /** Module specifiers of hubs published as npm packages. */
  pluginModules: string[];
  /** Folder of built-in hubs (plugins/ of this repository unless overridden). */
  pluginsDir: string | undefined;
  /** Audiences of the plugin hubs for this deployment (SCOPEKEEPER_API_BASE_URL, SCOPEKEEPER_HUB_AUDIENCE_<HUB>). */
  hubAudiences: { apiBaseUrl: string | undefined; perHub: Record<string, string> };
  accessTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  firstPartySkipConsent: boolean;
  /** REQUIRE_PAR: authorization requests only by reference to a pushed request (RFC 9126). */
  requirePushedAuthorizationRequests: boolean;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  auditRetentionDays: number;
  metrics: { token: string | undefined; port: number | undefined; host: string };
  /** Fastify's trustProxy: whose X-Forwarded-For is believed. */
  trustProxy: boolean | string;
  redis: { url: string | undefined; keyPrefix: string };
  throttles: { clientAuthentication: ThrottleLimits; signIn: ThrottleLimits; deviceCode: ThrottleLimits };
  graphqlLimits: { maxDepth: number; maxAliases: number; maxCost: number; maxTokens: number; maxDirectives: number };
  /** 0 when the admin API's response cache is off. */
  graphqlResponseCacheTtlMs: number;
  /** CHANGE_FEED: announce changes to other processes through PostgreSQL LISTEN/NOTIFY. */
  changeFeed: boolean;
  http: { bodyLimit: number; oauthBodyLimit: number; requestTimeoutMs: number; keepAliveTimeoutMs: number; connectionTimeoutMs: number };
  shutdownTimeoutMs: number;
  /** Mail: smtpUrl undefined means nothing is mailed. */
  mail: { smtpUrl: string | undefined; from: string };
}

/** Failures allowed per window from one address, and for one subject (a client_id or an account) from all addresses. */
export interface ThrottleLimits {
  windowSeconds: number;
  perAddress: number;
  perSubject: number;
}

function trustProxyOf(value: string): boolean | string {
  return value === "true" || value === "false" ? value === "true" : value;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses an environment; throws ConfigError whose message is one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset": shells and .env files produce them for cleared variables.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    const value = cleaned[name];
    const shown = name === "SCOPEKEEPER_KEY_ENCRYPTION_SECRET" || name === "METRICS_TOKEN" || name === "REDIS_URL" || name === "SMTP_URL" || value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message}${shown}`);
  }
  const e = parsed.data;
  const perHub: Record<string, string> = {};
  for (const [name, value] of Object.entries(cleaned)) {
    if (!name.startsWith(HUB_AUDIENCE_PREFIX) || value === undefined) continue;
    const suffix = name.slice(HUB_AUDIENCE_PREFIX.length);
    if (!/^(https?:\/\/[^\s#]+|urn:[^\s#]+)$/.test(value) || !URL.canParse(value)) {
      throw new ConfigError(`Invalid configuration: ${name} must be an absolute https://... or urn:... URL without a fragment (got ${JSON.stringify(value)})`);
    }
    perHub[suffix] = value;
  }
  const publicHost = e.HOST === "0.0.0.0" || e.HOST === "::" ? "127.0.0.1" : e.HOST;
  const issuer = e.ISSUER ?? `http://${publicHost.includes(":") ? `[${publicHost}]` : publicHost}:${e.PORT}`;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    issuer,
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    keyEncryptionSecret: e.SCOPEKEEPER_KEY_ENCRYPTION_SECRET,
    pluginModules: e.SCOPEKEEPER_PLUGINS.split(",").map((s) => s.trim()).filter(Boolean),
    pluginsDir: e.SCOPEKEEPER_PLUGINS_DIR,
    hubAudiences: { apiBaseUrl: e.SCOPEKEEPER_API_BASE_URL, perHub },
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
    sessionTtlSeconds: e.SESSION_TTL,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL,
    firstPartySkipConsent: e.FIRST_PARTY_SKIP_CONSENT === "true",
    requirePushedAuthorizationRequests: e.REQUIRE_PAR === "true",
    argon2: { memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST, parallelism: e.ARGON2_PARALLELISM },
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    trustProxy: trustProxyOf(e.TRUST_PROXY),
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    throttles: {
      clientAuthentication: {
        windowSeconds: e.CLIENT_AUTH_THROTTLE_WINDOW_SECONDS,
        perAddress: e.CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS,
        perSubject: e.CLIENT_AUTH_MAX_FAILURES_PER_CLIENT,
      },
      signIn: {
        windowSeconds: e.SIGN_IN_THROTTLE_WINDOW_SECONDS,
        perAddress: e.SIGN_IN_MAX_FAILURES_PER_ADDRESS,
        perSubject: e.SIGN_IN_MAX_FAILURES_PER_ACCOUNT,
      },
      // The subject is one browser session: dropping the cookie only leaves the address's count.
      deviceCode: {
        windowSeconds: e.DEVICE_CODE_THROTTLE_WINDOW_SECONDS,
        perAddress: e.DEVICE_CODE_MAX_FAILURES_PER_ADDRESS,
        perSubject: e.DEVICE_CODE_MAX_FAILURES_PER_SESSION,
      },
    },
    graphqlLimits: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxCost: e.GRAPHQL_MAX_COST,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
    },
    graphqlResponseCacheTtlMs: e.GRAPHQL_RESPONSE_CACHE_TTL_MS,
    changeFeed: e.CHANGE_FEED === "on",
    http: {
      bodyLimit: e.HTTP_BODY_LIMIT,
      oauthBodyLimit: e.OAUTH_BODY_LIMIT,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      connectionTimeoutMs: e.HTTP_CONNECTION_TIMEOUT_MS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM ?? `Scopekeeper <no-reply@${new URL(issuer).hostname.replace(/^\[|\]$/g, "")}>` },
  };
}
