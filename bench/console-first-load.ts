// The console's first load by content encoding, in headless Chromium: a signed-in person opens
// /console/applications in a new tab (cold cache, no token in memory) until the Applications
// table is drawn, with the browser asking for identity (the console as served before its assets
// were precompressed), gzip, or br. Bytes are what crossed the wire (CDP encodedDataLength:
// headers and bodies as sent), for the whole load and for /console/* alone; time is measured on
// loopback and on an emulated 10 Mbit/s link with 40 ms round trips, where the bytes show.
import type { Browser, BrowserContext } from "playwright-core";
import { bootstrapAdmin } from "../test/helpers/admin.ts";
import { launchChromium } from "../test/helpers/chromium.ts";
import { startTestServer } from "../test/helpers/server.ts";
import { createUser } from "../test/helpers/users.ts";

export type Encoding = "identity" | "gzip" | "br";

export interface FirstLoadRow {
  encoding: Encoding;
  totalBytes: number;
  consoleBytes: number;
  loopbackMs: number;
  slowLinkMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const SLOW_LINK = { offline: false, latency: 40, downloadThroughput: (10 * 1_000_000) / 8, uploadThroughput: (5 * 1_000_000) / 8 };

async function oneLoad(browser: Browser, storageState: Awaited<ReturnType<BrowserContext["storageState"]>>, url: string, encoding: Encoding, slow: boolean) {
  const context = await browser.newContext({ storageState, extraHTTPHeaders: { "accept-encoding": encoding } });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    if (slow) await cdp.send("Network.emulateNetworkConditions", SLOW_LINK);
    const urls = new Map<string, string>();
    let total = 0;
    let consoleBytes = 0;
    cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
    cdp.on("Network.loadingFinished", (e) => {
      total += e.encodedDataLength;
      if (new URL(urls.get(e.requestId) ?? "http://x/").pathname.startsWith("/console")) consoleBytes += e.encodedDataLength;
    });
    const start = performance.now();
    await page.goto(url);
    await page.locator("table.list tbody tr").first().waitFor();
    const ms = performance.now() - start;
    // Let the last loadingFinished events arrive.
    await page.waitForTimeout(100);
    return { ms, total, consoleBytes };
  } finally {
    await context.close();
  }
}

export async function runConsoleFirstLoad(rounds = 5): Promise<FirstLoadRow[] | null> {
  const browser = await launchChromium();
  if (!browser) return null;
  const server = await startTestServer({ env: { LOG_LEVEL: "silent" } });
  try {
    await bootstrapAdmin(server, "Operator");
    const org = await bootstrapAdmin(server, "Bench");
    await createUser(server, org.organizationDbId, "bench@bench.example", "correct horse battery staple", "ADMIN");
    await server.services.db.connectApplication.create({
      data: { clientId: "bench-first-load", name: "Bench app", applicationType: "OAUTH", platform: "WEB", organizationId: org.organizationDbId },
    });
    const signIn = await browser.newContext();
    const first = await signIn.newPage();
    await first.goto(`${server.url}/console/applications`);
    await first.waitForURL((u) => u.pathname === "/oauth/login");
    await first.getByLabel("Email").fill("bench@bench.example");
    await first.getByLabel("Password").fill("correct horse battery staple");
    await first.getByRole("button", { name: "Sign in", exact: true }).click();
    await first.waitForURL((u) => u.pathname === "/oauth/authorize" || u.pathname === "/console/applications");
    if (new URL(first.url()).pathname === "/oauth/authorize") await first.getByRole("button", { name: "Allow" }).click();
    await first.getByRole("heading", { name: "Applications" }).waitFor();
    const storageState = await signIn.storageState();
    await signIn.close();

    const url = `${server.url}/console/applications`;
    const encodings: Encoding[] = ["identity", "gzip", "br"];
    const samples = new Map(encodings.map((e) => [e, { loopback: [] as number[], slow: [] as number[], total: 0, console: 0 }]));
    // Interleaved rounds: each encoding meets the same machine load.
    for (let r = 0; r < rounds; r++) {
      for (const encoding of encodings) {
        const s = samples.get(encoding)!;
        const fast = await oneLoad(browser, storageState, url, encoding, false);
        s.loopback.push(fast.ms);
        s.total = fast.total;
        s.console = fast.consoleBytes;
        s.slow.push((await oneLoad(browser, storageState, url, encoding, true)).ms);
      }
    }
    return encodings.map((encoding) => {
      const s = samples.get(encoding)!;
      return { encoding, totalBytes: s.total, consoleBytes: s.console, loopbackMs: median(s.loopback), slowLinkMs: median(s.slow) };
    });
  } finally {
    await browser.close();
    await server.close();
  }
}

export function formatConsoleFirstLoad(rows: FirstLoadRow[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
  const identity = rows.find((r) => r.encoding === "identity")!;
  return [
    "| console first load by encoding (Chromium, signed in, cold cache) | on the wire, whole load | of which /console/* | × identity | loopback, median | 10 Mbit/s + 40 ms RTT, median |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.encoding === "identity" ? "identity (before)" : r.encoding === "br" ? "br (after, what browsers get)" : "gzip"} | ${kb(r.totalBytes)} | ${kb(r.consoleBytes)} | ${(r.totalBytes / identity.totalBytes).toFixed(2)}× | ${r.loopbackMs.toFixed(0)} ms | ${r.slowLinkMs.toFixed(0)} ms |`,
    ),
  ].join("\n");
}

// `npx tsx bench/console-first-load.ts [rounds]`: this measurement alone.
if (import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const rows = await runConsoleFirstLoad(Number(process.argv[2] ?? 5));
  console.log(rows ? formatConsoleFirstLoad(rows) : "Chromium is not installed.");
  process.exit(0);
}
