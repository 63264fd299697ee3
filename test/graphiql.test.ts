// GraphiQL works on a machine without internet: every byte of the editor comes from this
// server, under a CSP that allows only 'self'. Chromium here can reach 127.0.0.1 and nothing else.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GRAPHIQL_CSP } from "../src/graphql/graphiql.ts";
import { describeWithChromium, launchChromium } from "./helpers/chromium.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { bootstrapAdmin } from "./helpers/admin.ts";

const SCREENSHOT = fileURLToPath(new URL("../test-output/graphiql.png", import.meta.url));
let server: TestServer;
let browser: Browser | null = null;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it("serves GraphiQL's page with a CSP of 'self' and its assets from this server", async () => {
  const res = await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-security-policy")).toBe(GRAPHIQL_CSP);
  const html = await res.text();
  // Nothing loads from elsewhere (the starter document in data-options is text: its example
  // redirect URI is never requested).
  expect(html.replace(/data-options="[^"]*"/, "")).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
  expect(scripts.length).toBeGreaterThan(0);
  for (const src of scripts) {
    const asset = await fetch(`${server.url}${src}`);
    expect(asset.status, src).toBe(200);
    expect(asset.headers.get("content-type"), src).toMatch(/javascript/);
    await asset.arrayBuffer(); // read, so its connection is free again
  }
  const missing = await fetch(`${server.url}/graphql/assets/nothing.js`);
  expect(missing.status).toBe(404);
  await missing.arrayBuffer();
});

it("starts with a document whose first mutation creates an OAuth app as written (isFirstParty included)", async () => {
  const html = await (await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } })).text();
  const options = JSON.parse(unescapeHtml(/data-options="([^"]*)"/.exec(html)![1]!)) as { defaultQuery: string };
  expect(options.defaultQuery).toContain("isFirstParty: false");
  const admin = await bootstrapAdmin(server, "Starter");
  const run = async (operationName: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ query: options.defaultQuery, operationName, variables }),
    });
    return (await res.json()) as { data: Record<string, { __typename?: string; application?: { clientId: string } } & Record<string, unknown>> };
  };
  expect((await run("Viewer")).data.viewer).toMatchObject({ kind: "APPLICATION" });
  const created = (await run("CreateWebApp", { organizationId: admin.organizationId })).data.createConnectApplication!;
  expect(created.application?.clientId, JSON.stringify(created)).toMatch(/\S{16,}/);
});

const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

describeWithChromium("GraphiQL in Chromium with every other host blocked", () => {
  it("shows the editor, with nothing requested elsewhere and no CSP violation", async () => {
    const context = await browser!.newContext();
    const blocked: string[] = [];
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === "127.0.0.1" || url.protocol === "data:" || url.protocol === "blob:") return route.continue();
      blocked.push(url.href);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    try {
      await page.goto(`${server.url}/graphql`);
      const editor = page.locator(".graphiql-container .monaco-editor").first();
      await editor.waitFor({ state: "visible", timeout: 30_000 });
      await expect(page.title()).resolves.toContain("GraphiQL");
      await page.waitForTimeout(500);
      await mkdir(fileURLToPath(new URL("../test-output/", import.meta.url)), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      expect(blocked).toEqual([]);
      expect(problems.filter((p) => /Content Security Policy|Refused/i.test(p))).toEqual([]);
      expect(await page.locator("body").textContent()).not.toContain("Loading");
    } finally {
      await context.close();
    }
  });
});
