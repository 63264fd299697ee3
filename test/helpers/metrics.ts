// What an operator's Prometheus sees: one value from a test server's /metrics, read over HTTP.
// Tests assert on these (argon2 runs, cache hits, throttled requests) rather than on counters
// inside the server's objects, so they hold whatever the code behind them becomes.
import type { TestServer } from "./server.ts";

/** Give a test server this METRICS_TOKEN to read its /metrics. */
export const TEST_METRICS_TOKEN = "test-metrics-token-0123456789";

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
export async function metric(server: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const token = server.config.metrics.token;
  if (!token) throw new Error("metric(): start the test server with METRICS_TOKEN (e.g. TEST_METRICS_TOKEN)");
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  let sum = 0;
  for (const line of (await res.text()).split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const text = m[2] ?? "";
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
