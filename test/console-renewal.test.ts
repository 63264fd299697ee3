// The console keeps its tokens in memory only and renews them silently with the rotating
// refresh token: with 60-second access tokens it renews (twice, each time with the newest
// refresh token) and keeps working, and no token is ever put in localStorage or sessionStorage.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin } from "./helpers/admin.ts";
import { confineToLocalhost, describeWithChromium, launchChromium } from "./helpers/chromium.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let browser: Browser | null = null;

describeWithChromium("console sign-in", () => {
  beforeAll(async () => {
    server = await startTestServer({ env: { ACCESS_TOKEN_TTL: "60" } });
    await bootstrapAdmin(server, "Operator");
    const org = await bootstrapAdmin(server, "Acme");
    await createUser(server, org.organizationDbId, "ada@acme.example", "correct horse battery staple", "ADMIN");
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("renews the access token with the rotating refresh token before it expires, and stores no token in the browser", async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    const blocked = await confineToLocalhost(page, () => ({ contentType: "text/plain", body: "" }));
    const refreshes: string[] = [];
    page.on("request", (r) => {
      const body = r.postData() ?? "";
      if (new URL(r.url()).pathname === "/oauth/token" && body.includes("grant_type=refresh_token")) {
        refreshes.push(new URLSearchParams(body).get("refresh_token")!);
      }
    });
    // The page's clock is Playwright's: the test moves it instead of waiting for the timers.
    await page.clock.install();
    await page.goto(`${server.url}/console/`);
    await page.waitForURL((u) => u.pathname === "/oauth/login");
    await page.getByLabel("Email").fill("ada@acme.example");
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/authorize" || u.pathname === "/console/applications");
    if (new URL(page.url()).pathname === "/oauth/authorize") await page.getByRole("button", { name: "Allow" }).click();
    await page.getByRole("link", { name: "Acme admin" }).waitFor();

    // Renewal is due 5 s into a 60 s token: each poll moves the page's clock a second on.
    await expect
      .poll(
        async () => {
          await page.clock.fastForward(1000);
          return refreshes.length;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(2);
    expect(new Set(refreshes).size).toBe(refreshes.length); // each refresh token is used once
    const rows = await server.services.db.refreshToken.findMany({ where: { application: { clientId: "scopekeeper-console" } } });
    expect(rows.filter((r) => r.revokedAt !== null)).toEqual([]); // no reuse was detected

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
    await page.getByRole("cell", { name: "ada@acme.example" }).waitFor();
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toMatch(/eyJ/); // no JWT
    for (const token of refreshes) expect(stored).not.toContain(token);
    expect(blocked).toEqual([]);
    await context.close();
  }, 120_000);
});
