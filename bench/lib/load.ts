// autocannon, bounded by duration, against 127.0.0.1 only.
import autocannon, { type Instance, type Result } from "autocannon";

export interface LoadSpec {
  url: string;
  connections: number;
  /** seconds */
  duration: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** A fresh body for every request (overrides body). */
  bodyPerRequest?: () => string;
  /** Headers made afresh for every request (a client assertion, a DPoP proof), over `headers`. */
  headersPerRequest?: () => Record<string, string>;
}

export interface LoadResult {
  /** 2xx responses per second */
  rps: number;
  /** milliseconds, 2xx only */
  p50: number;
  p99: number;
  max: number;
  ok: number;
  /** non-2xx + socket errors + timeouts */
  errors: number;
  statusCodes: Record<string, number>;
  seconds: number;
}

const running = new Set<Instance>();

/** Stops every load in flight (SIGINT). */
export function stopAllLoads(): void {
  for (const i of running) i.stop();
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "[::1]") {
    throw new Error(`refusing to send load to ${host}: only loopback may be targeted`);
  }
}

function toResult(r: Result): LoadResult {
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCodes[code] = count;
  const seconds = r.duration > 0 ? r.duration : 1;
  return {
    rps: r["2xx"] / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    ok: r["2xx"],
    errors: r.non2xx + r.errors + r.timeouts,
    statusCodes,
    seconds,
  };
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  assertLoopback(spec.url);
  if (!(spec.duration > 0 && spec.duration <= 600)) throw new Error("every load is bounded: duration must be 0-600 s");
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.duration,
        timeout: 10,
        method: spec.method ?? "POST",
        ...(spec.headers ? { headers: spec.headers } : {}),
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        ...(spec.bodyPerRequest || spec.headersPerRequest
          ? {
              requests: [
                {
                  setupRequest: (req: { body?: string; headers?: Record<string, string> }) => ({
                    ...req,
                    ...(spec.bodyPerRequest ? { body: spec.bodyPerRequest() } : {}),
                    ...(spec.headersPerRequest ? { headers: { ...req.headers, ...spec.headersPerRequest() } } : {}),
                  }),
                },
              ],
            }
          : {}),
      },
      (err, result) => {
        running.delete(instance);
        if (err) reject(err);
        else resolve(toResult(result));
      },
    );
    running.add(instance);
  });
}

/** Several loads at once (e.g. one per server process); req/s and counts add up. */
export async function runLoadsTogether(specs: LoadSpec[]): Promise<LoadResult & { parts: LoadResult[] }> {
  const parts = await Promise.all(specs.map(runLoad));
  const statusCodes: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  return {
    rps: parts.reduce((s, p) => s + p.rps, 0),
    // Percentiles cannot be added: report the worse instance's, which is the conservative reading.
    p50: Math.max(...parts.map((p) => p.p50)),
    p99: Math.max(...parts.map((p) => p.p99)),
    max: Math.max(...parts.map((p) => p.max)),
    ok: parts.reduce((s, p) => s + p.ok, 0),
    errors: parts.reduce((s, p) => s + p.errors, 0),
    statusCodes,
    seconds: Math.max(...parts.map((p) => p.seconds)),
    parts,
  };
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
