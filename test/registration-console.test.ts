// The console shows which applications registered themselves (RFC 7591): an ADMIN opening one
// sees "Registered dynamically" beside its type and visibility. Screenshot in test-output/.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { confineToLocalhost, describeWithChromium, launchChromium, signInToConsole } from "./helpers/chromium.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";
import { CALLBACK } from "./helpers/user-apps.ts";

const OUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const ADMIN = { email: "ada@acme.example", password: "correct horse battery staple" };
let server: TestServer;
let acme: Admin;
let browser: Browser | null = null;

describeWithChromium("a dynamically registered application in the console", () => {
  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    server = await startTestServer();
    acme = await bootstrapAdmin(server, "Acme");
    await createUser(server, acme.organizationDbId, ADMIN.email, ADMIN.password, "ADMIN", "Ada Admin");
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("is marked as registered dynamically on its page", async () => {
    const created = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${acme.token}` },
      body: JSON.stringify({
        query: `mutation($i: CreateRegistrationTokenInput!) { createRegistrationToken(input: $i) { ... on CreateRegistrationTokenSuccess { plaintext } } }`,
        variables: { i: { organizationId: acme.organizationId } },
      }),
    });
    const token = ((await created.json()) as { data: { createRegistrationToken: { plaintext: string } } }).data.createRegistrationToken.plaintext;
    const reg = await fetch(`${server.url}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ client_name: "Partner portal", redirect_uris: [CALLBACK] }),
    });
    expect(reg.status).toBe(201);

    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await confineToLocalhost(page, () => ({ contentType: "text/html", body: "<h1>client</h1>" }));
    await signInToConsole(page, server.url, ADMIN);
    await page.getByRole("link", { name: "Partner portal" }).click();
    await page.getByRole("heading", { name: "Partner portal", level: 1 }).waitFor();
    await expect.poll(() => page.locator(".app-head .meta").textContent()).toContain("Registered dynamically");
    await page.screenshot({ path: `${OUT}console-registered-dynamically.png` });
    // An application an ADMIN created carries no such mark.
    await page.goto(`${server.url}/console/applications`);
    await page.getByRole("link", { name: "Acme admin" }).click();
    await page.getByRole("heading", { name: "Acme admin", level: 1 }).waitFor();
    expect(await page.locator(".app-head .meta").textContent()).not.toContain("Registered dynamically");
    await context.close();
  });
});
