// Prometheus metrics (prom-client): requests by route and status with latency histograms,
// token issuance by grant and outcome, the secret-verification cache, argon2's queue and the
// PostgreSQL connection pool. Served at /metrics
// on the main port behind METRICS_TOKEN, and/or on METRICS_PORT (bind it to a private
// interface); with neither set there is no /metrics at all.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { constantTimeEqual } from "../crypto/random.ts";
import { argon2Load } from "../crypto/secrets.ts";
import type { Services } from "../services.ts";
import { throttleReason } from "./throttle-reasons.ts";

export interface Metrics {
  registry: Registry;
}

export function createMetrics(services: Services): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "scopekeeper_" });
  new Gauge({
    name: "scopekeeper_secret_verification_cache_hit_ratio",
    help: "Share of client-secret verifications answered without an argon2 run since start",
    registers: [registry],
    collect() {
      const { cacheHits, argonRuns } = services.secretVerifier;
      this.set(cacheHits + argonRuns === 0 ? 0 : cacheHits / (cacheHits + argonRuns));
    },
  });
  new Gauge({
    name: "scopekeeper_argon2_runs",
    help: "argon2id verifications of client secrets since start",
    registers: [registry],
    collect() {
      this.set(services.secretVerifier.argonRuns);
    },
  });
  new Counter({
    name: "scopekeeper_secret_verification_cache_total",
    help: "Client-secret verifications by cache result: hit (answered from the cache) or miss (argon2 ran or was joined)",
    labelNames: ["result"] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: "hit" }, services.secretVerifier.cacheHits);
      this.inc({ result: "miss" }, services.secretVerifier.cacheMisses);
    },
  });
  new Counter({
    name: "scopekeeper_verified_access_token_cache_total",
    help: "Access-token checks by cache result: hit (the signature verified before) or miss (verified now, or refused)",
    labelNames: ["result"] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: "hit" }, services.verifiedAccessTokens.hits);
      this.inc({ result: "miss" }, services.verifiedAccessTokens.misses);
    },
  });
  // Alert on any increase: a throttle store that cannot count refuses sign-ins and client logins.
  new Counter({
    name: "scopekeeper_throttle_store_failures_total",
    help: "Attempts refused (429) because the throttle store (Redis or PostgreSQL) could not count them, by throttle",
    labelNames: ["throttle"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [throttle, count] of services.throttles.storeFailures) this.inc({ throttle }, count);
    },
  });
  // The change feed (src/changes/feed.ts): alert when a process is not listening (its caches
  // fall back to their time bounds, 1-4 s and 30 s for keys) or when failures grow.
  new Gauge({
    name: "scopekeeper_change_feed_listening",
    help: "1 while this process receives other processes' changes (PostgreSQL LISTEN; always 1 in process), else 0",
    registers: [registry],
    collect() {
      this.set(services.changes.stats.listening ? 1 : 0);
    },
  });
  new Counter({
    name: "scopekeeper_change_feed_events_total",
    help: "Change feed events: announced (by this process), received (from others), reset (every cache emptied after the listening connection came back), failure (a notice not sent, or the connection lost)",
    labelNames: ["event"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const { announced, received, resets, failures } = services.changes.stats;
      this.inc({ event: "announced" }, announced);
      this.inc({ event: "received" }, received);
      this.inc({ event: "reset" }, resets);
      this.inc({ event: "failure" }, failures);
    },
  });
  // Hashes and verifications of secrets and passwords share a bounded pool (src/crypto/secrets.ts):
  // a growing queue is the first sign of a flood of sign-ins or of new client secrets.
  new Gauge({
    name: "scopekeeper_argon2_in_flight",
    help: "argon2id hashes and verifications running now on the thread pool",
    registers: [registry],
    collect() {
      this.set(argon2Load().running);
    },
  });
  new Gauge({
    name: "scopekeeper_argon2_queue_depth",
    help: "argon2id hashes and verifications waiting for a slot, by kind",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect() {
      const load = argon2Load();
      this.set({ kind: "verify" }, load.waitingVerifications);
      this.set({ kind: "hash" }, load.waitingHashes);
    },
  });
  const pool = services.dbPool;
  if (pool) {
    const poolGauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    poolGauge("scopekeeper_db_pool_connections", "PostgreSQL connections open in the pool", () => pool.totalCount);
    poolGauge("scopekeeper_db_pool_idle_connections", "PostgreSQL connections open and idle", () => pool.idleCount);
    poolGauge("scopekeeper_db_pool_waiting_requests", "Queries waiting for a free PostgreSQL connection", () => pool.waitingCount);
  }
  return { registry };
}

/** Adds the request counters and latency histograms to the server, and the /metrics door(s). */
export async function installMetrics(app: FastifyInstance, services: Services): Promise<void> {
  const { config } = services;
  if (!config.metrics.token && !config.metrics.port) return;
  const { registry } = createMetrics(services);
  const requests = new Counter({
    name: "scopekeeper_http_requests_total",
    help: "HTTP requests by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "scopekeeper_http_request_duration_seconds",
    help: "HTTP request latency by route",
    labelNames: ["route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const tokens = new Counter({
    name: "scopekeeper_tokens_total",
    help: "Token endpoint answers by grant type and outcome (issued, or the OAuth error's status class)",
    labelNames: ["grant_type", "outcome"] as const,
    registers: [registry],
  });
  const throttled = new Counter({
    name: "scopekeeper_throttled_requests_total",
    help: "Requests answered 429 Too Many Requests, by route and by the throttle and limit that refused (e.g. client_authentication_address)",
    labelNames: ["route", "reason"] as const,
    registers: [registry],
  });

  app.addHook("onResponse", async (request, reply) => {
    // The route pattern, never the raw URL: ids and query strings stay out of label values.
    const route = request.routeOptions.url ?? "unmatched";
    const status = reply.statusCode;
    requests.inc({ route, method: request.method, status: String(status) });
    latency.observe({ route }, reply.elapsedTime / 1000);
    if (status === 429) throttled.inc({ route, reason: throttleReason(request) });
    if (route === "/oauth/token") {
      const grant = (request.body as Record<string, unknown> | undefined)?.grant_type;
      const known = typeof grant === "string" && grant.length <= 100 ? grant : "unknown";
      tokens.inc({ grant_type: known, outcome: status === 200 ? "issued" : `${Math.floor(status / 100)}xx` });
    }
  });

  const serve = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header("content-type", registry.contentType).header("cache-control", "no-store").send(await registry.metrics());

  if (config.metrics.token) {
    const expected = `Bearer ${config.metrics.token}`;
    app.get("/metrics", async (request, reply) => {
      if (!constantTimeEqual(request.headers.authorization ?? "", expected)) {
        return reply.status(401).header("www-authenticate", 'Bearer realm="metrics"').send({ error: "unauthorized" });
      }
      return serve(request, reply);
    });
  }
  if (config.metrics.port) {
    const side = Fastify({ logger: false });
    side.get("/metrics", serve);
    await side.listen({ port: config.metrics.port, host: config.metrics.host });
    app.addHook("onClose", async () => side.close());
  }
}
