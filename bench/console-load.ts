// The console's first load over loopback, in headless Chromium: from navigating to
// /console/applications (HTML, JS, the silent sign-in round trip through /oauth/authorize with
// the session cookie, the code exchange) to the Applications table rendered, and how many
// GraphQL requests that page makes with 1 and with 60 applications (it must not grow). The peer,
// measured in the same run, is the server-rendered sign-in page (one HTML response, no script).
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { bootstrapAdmin } from "../test/helpers/admin.ts";
import { launchChromium } from "../test/helpers/chromium.ts";
import { startTestServer } from "../test/helpers/server.ts";
import { createUser } from "../test/helpers/users.ts";

export interface ConsoleLoadResult {
  rows: { apps: number; medianMs: number; graphqlRequests: number; transferredKb: number }[];
  peerMedianMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runConsoleLoad(rounds = 9): Promise<ConsoleLoadResult | null> {
  const browser = await launchChromium();
  if (!browser) return null;
  const dir = mkdtempSync(path.join(os.tmpdir(), "console-load-"));
  void dir;
  const server = await startTestServer({ env: { LOG_LEVEL: "silent" } });
  try {
    await bootstrapAdmin(server, "Operator");
    const org = await bootstrapAdmin(server, "Bench");
    await createUser(server, org.organizationDbId, "bench@bench.example", "correct horse battery staple", "ADMIN");
    const context = await browser.newContext();
    // Sign in once; every measured load then starts with no token in memory, as a new tab does.
    const first = await context.newPage();
    await first.goto(`${server.url}/console/applications`);
    await first.waitForURL((u) => u.pathname === "/oauth/login");
    await first.getByLabel("Email").fill("bench@bench.example");
    await first.getByLabel("Password").fill("correct horse battery staple");
    await first.getByRole("button", { name: "Sign in", exact: true }).click();
    await first.waitForURL((u) => u.pathname === "/oauth/authorize" || u.pathname === "/console/applications");
    if (new URL(first.url()).pathname === "/oauth/authorize") await first.getByRole("button", { name: "Allow" }).click();
    await first.getByRole("heading", { name: "Applications" }).waitFor();
    await first.close();

    const rows: ConsoleLoadResult["rows"] = [];
    let peer: number[] = [];
    for (const apps of [1, 60]) {
      const have = await server.services.db.connectApplication.count({ where: { organizationId: org.organizationDbId } });
      for (let i = have; i < apps; i++) {
        await server.services.db.connectApplication.create({
          data: { clientId: `bench-${i}`, name: `Bench app ${String(i).padStart(3, "0")}`, applicationType: "OAUTH", platform: "WEB", organizationId: org.organizationDbId },
        });
      }
      const times: number[] = [];
      let graphqlRequests = 0;
      let transferred = 0;
      for (let r = 0; r < rounds; r++) {
        const page = await context.newPage();
        let gql = 0;
        let bytes = 0;
        page.on("request", (req) => {
          if (new URL(req.url()).pathname === "/graphql" && req.method() === "POST") gql += 1;
        });
        page.on("response", async (res) => {
          const body = await res.body().catch(() => Buffer.alloc(0));
          bytes += body.length;
        });
        const start = performance.now();
        await page.goto(`${server.url}/console/applications`);
        await page.locator("table.list tbody tr").nth(apps - 1).waitFor();
        times.push(performance.now() - start);
        graphqlRequests = gql;
        transferred = bytes;
        await page.close();

        const login = await context.newPage();
        const t = performance.now();
        await login.goto(`${server.url}/oauth/login`);
        await login.getByRole("button", { name: "Sign in", exact: true }).waitFor();
        peer.push(performance.now() - t);
        await login.close();
      }
      rows.push({ apps, medianMs: median(times), graphqlRequests, transferredKb: Math.round(transferred / 1024) });
    }
    await context.close();
    return { rows, peerMedianMs: median(peer) };
  } finally {
    await browser.close();
    await server.close();
  }
}

export function formatConsoleLoad(result: ConsoleLoadResult): string {
  const lines = [
    "| console first load (Chromium, loopback) | median | × sign-in page | GraphQL requests | bytes (uncompressed) |",
    "| --- | --- | --- | --- | --- |",
    ...result.rows.map(
      (r) =>
        `| Applications list, ${r.apps} app${r.apps === 1 ? "" : "s"} | ${r.medianMs.toFixed(0)} ms | ${(r.medianMs / result.peerMedianMs).toFixed(1)}× | ${r.graphqlRequests} | ${r.transferredKb} kB |`,
    ),
    `| peer: server-rendered sign-in page | ${result.peerMedianMs.toFixed(0)} ms | 1.0× | 0 | |`,
  ];
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runConsoleLoad(Number(process.env.ROUNDS ?? 9));
  console.log(result ? formatConsoleLoad(result) : "Chromium is not installed: skipped");
  process.exit(0);
}
