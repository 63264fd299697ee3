// What an operator watches: Prometheus metrics behind a token or on their own port, and a
// request id on every response that also appears in the logs.
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { basic, postForm } from "./helpers/http.ts";
import { freePort, startTestServer, type TestServer } from "./helpers/server.ts";

const METRICS_TOKEN = "metrics-token-0123456789";
let server: TestServer;
let admin: Admin;
const logLines: string[] = [];

beforeAll(async () => {
  const stream = new PassThrough();
  stream.on("data", (c: Buffer) => logLines.push(...c.toString().split("\n").filter(Boolean)));
  server = await startTestServer({ env: { METRICS_TOKEN, LOG_LEVEL: "debug" }, logStream: stream });
  admin = await bootstrapAdmin(server, "Ops");
});
afterAll(async () => server?.close());

it("serves Prometheus metrics only with the metrics token", async () => {
  expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  expect((await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
  await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read" }, basic(admin.clientId, admin.clientSecret));
  await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read" }, basic(admin.clientId, "sk_wrong_secret"));
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/text\/plain/);
  const text = await res.text();
  expect(text).toMatch(/scopekeeper_http_requests_total\{route="\/oauth\/token",method="POST",status="200"\} \d+/);
  expect(text).toMatch(/scopekeeper_tokens_total\{grant_type="client_credentials",outcome="issued"\} [1-9]/);
  expect(text).toMatch(/scopekeeper_tokens_total\{grant_type="client_credentials",outcome="4xx"\} [1-9]/);
  expect(text).toMatch(/scopekeeper_http_request_duration_seconds_bucket\{le="0.1",route="\/oauth\/token"\}/);
  expect(text).toContain("scopekeeper_secret_verification_cache_hit_ratio");
  expect(text).toContain("scopekeeper_process_resident_memory_bytes");
  // Label values are route patterns, never raw URLs with ids or query strings.
  expect(text).not.toContain(admin.clientId);
});

it("serves metrics on a port of their own when METRICS_PORT is set, and not on the main port", async () => {
  const port = await freePort();
  const side = await startTestServer({ env: { METRICS_PORT: String(port) } });
  try {
    expect((await fetch(`${side.url}/metrics`)).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("scopekeeper_http_requests_total");
  } finally {
    await side.close();
  }
});

it("returns a request id on every response and logs it, keeping a well-formed caller id", async () => {
  const res = await fetch(`${server.url}/healthz`);
  const id = res.headers.get("x-request-id");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const given = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "trace-abc.123" } });
  expect(given.headers.get("x-request-id")).toBe("trace-abc.123");
  const bad = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "<script>" } });
  expect(bad.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  await new Promise((r) => setTimeout(r, 50));
  const lines = logLines.map((l) => JSON.parse(l) as { reqId?: string });
  expect(lines.some((l) => l.reqId === id)).toBe(true);
  expect(lines.some((l) => l.reqId === "trace-abc.123")).toBe(true);
});

it("marks every admin API answer no-store: some carry a secret shown once", async () => {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({ query: "{ viewer { kind } }" }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const unauthenticated = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  expect(unauthenticated.headers.get("cache-control")).toBe("no-store");
});
