// The console's identity providers page in real headless Chromium over a real server and
// database: an ADMIN sees what a provider is for, gets each broken rule at its field, registers
// a provider that maps by linked subject, links a member's external subject, and removes the
// provider behind a confirmation; at 390 px nothing overflows. Screenshots go to test-output/.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { confineToLocalhost, describeWithChromium, launchChromium, signInToConsole } from "./helpers/chromium.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const OUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const ADA = { email: "ada@acme.example", password: "correct horse battery staple" };
const MAX = { email: "max@acme.example", password: "correct horse battery staple" };

let server: TestServer;
let acme: Admin;
let browser: Browser | null = null;

/** The message a field's aria-describedby points at last (its error), when it is marked invalid. */
async function errorAt(page: Page | Locator, label: string): Promise<string | null> {
  const field = page.getByLabel(label, { exact: true });
  if ((await field.getAttribute("aria-invalid")) !== "true") return null;
  const describedBy = (await field.getAttribute("aria-describedby"))!.split(" ");
  return ("page" in page ? page.page() : page).locator(`[id="${describedBy.at(-1)}"]`).textContent();
}

describeWithChromium("the console's identity providers page", () => {
  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    server = await startTestServer();
    await bootstrapAdmin(server, "Operator");
    acme = await bootstrapAdmin(server, "Acme");
    await createUser(server, acme.organizationDbId, ADA.email, ADA.password, "ADMIN", "Ada Admin");
    await createUser(server, acme.organizationDbId, MAX.email, MAX.password, "MEMBER", "Max Member");
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("registers a provider with its errors at their fields, links a subject, and removes it after confirmation", async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const blocked = await confineToLocalhost(page, () => ({ contentType: "text/plain", body: "" }));
    const db = server.services.db;
    await signInToConsole(page, server.url, ADA, "/console/");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Identity providers" }).click();
    await page.getByRole("heading", { name: "Identity providers", level: 1 }).waitFor();
    await page.getByText("No identity providers yet").waitFor();
    expect(await page.locator(".empty").textContent()).toMatch(/Okta or Entra ID.*exchanged here for this server's tokens/);

    // The form's own rules (the server's limits) first, then the server's at their own fields.
    await page.getByLabel("Issuer").fill("http://idp.example.test");
    await page.getByLabel("Audience").fill("api://scopekeeper");
    await page.getByRole("button", { name: "Register identity provider" }).click();
    await expect.poll(() => errorAt(page, "Name")).toBe("Give the provider a name.");
    await page.getByLabel("Name").fill("x".repeat(101));
    await page.getByRole("button", { name: "Register identity provider" }).click();
    await expect.poll(() => errorAt(page, "Name")).toBe("At most 100 characters.");
    await page.getByLabel("Name").fill("Okta");
    await page.getByRole("button", { name: "Register identity provider" }).click();
    await expect.poll(() => errorAt(page, "Issuer")).toBe("Must use https (http only on a loopback address)");
    expect(await errorAt(page, "Name")).toBeNull();
    expect(await errorAt(page, "Audience")).toBeNull();
    expect(await db.identityProvider.count()).toBe(0);
    await page.getByLabel("Issuer").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${OUT}console-identity-providers-errors.png`, fullPage: true });

    await page.getByLabel("Name").fill("Okta");
    await page.getByLabel("Issuer").fill("https://acme.okta.example.test");
    await page.getByLabel("Subject mapping").selectOption({ label: "Linked subject" });
    await page.getByLabel("Clock skew (seconds)").fill("30");
    await page.getByRole("button", { name: "Register identity provider" }).click();
    const row = page.getByRole("row", { name: /Okta/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("https://acme.okta.example.test");
    expect(await row.textContent()).toContain("api://scopekeeper");
    expect(await row.textContent()).toContain("Linked subject");
    expect(await page.getByLabel("Name").inputValue()).toBe("");
    const stored = await db.identityProvider.findFirstOrThrow({ where: { name: "Okta" } });
    expect(stored).toMatchObject({ issuer: "https://acme.okta.example.test", jwksUri: null, audience: "api://scopekeeper", subjectMapping: "SUB", clockSkewSeconds: 30 });

    // A SUB provider gets a form to link an external subject to a member.
    await page.getByRole("heading", { name: "Link people to Okta" }).waitFor();
    await page.getByLabel("External subject").fill("00u1abcd");
    await page.getByLabel("Member").selectOption({ label: MAX.email });
    await page.getByRole("button", { name: "Link", exact: true }).click();
    await page.getByRole("status").filter({ hasText: `00u1abcd now signs in as ${MAX.email}.` }).waitFor();
    expect(await db.externalIdentity.count({ where: { identityProviderId: stored.id, subject: "00u1abcd" } })).toBe(1);
    await page.screenshot({ path: `${OUT}console-identity-providers.png`, fullPage: true });

    // At 390 px the table turns into labelled cards and nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${OUT}console-identity-providers-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Edit opens the provider's values in a dialog; a broken rule shows there and changes nothing.
    await row.getByRole("button", { name: "Edit Okta" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Okta" });
    expect(await edit.getByLabel("Issuer").inputValue()).toBe("https://acme.okta.example.test");
    expect(await edit.getByLabel("Clock skew (seconds)").inputValue()).toBe("30");
    await edit.getByLabel("Issuer").fill("http://okta.example.test");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => errorAt(edit, "Issuer")).toBe("Must use https (http only on a loopback address)");
    expect((await db.identityProvider.findUniqueOrThrow({ where: { id: stored.id } })).issuer).toBe("https://acme.okta.example.test");
    await page.screenshot({ path: `${OUT}console-identity-providers-edit.png` });
    await edit.getByLabel("Issuer").fill("https://login.acme.example.test");
    await edit.getByLabel("JWKS URI").fill("https://login.acme.example.test/keys");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await edit.waitFor({ state: "detached" });
    await expect.poll(async () => row.textContent()).toContain("https://login.acme.example.test");
    expect(await db.identityProvider.findUniqueOrThrow({ where: { id: stored.id } })).toMatchObject({
      issuer: "https://login.acme.example.test",
      jwksUri: "https://login.acme.example.test/keys",
      clockSkewSeconds: 30,
    });

    // Single sign-on: turned on without a client ID or secret, the form says where; saved, the
    // secret is stored and never shown back; saved again untouched, it is kept.
    await row.getByRole("button", { name: "Edit Okta" }).click();
    const sso = page.getByRole("dialog", { name: "Edit Okta" });
    expect(await sso.getByLabel("Sign people in with this provider").isChecked()).toBe(false);
    await sso.getByText(`${server.url}/oauth/sso/callback`).waitFor();
    await sso.getByLabel("Sign people in with this provider").check();
    await sso.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => errorAt(sso, "Client ID")).toBe("Required to sign people in through this provider.");
    expect(await errorAt(sso, "Client secret")).toBe("Required to sign people in through this provider.");
    await sso.getByLabel("Client ID").fill("0oa-scopekeeper");
    await sso.getByLabel("Client secret").fill("upstream-secret-value-1");
    await sso.getByLabel("Email domains").fill("acme.example\nnot a domain");
    await sso.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => errorAt(sso, "Email domains")).toBe("One domain name a line, such as example.com.");
    await sso.getByLabel("Email domains").fill("Acme.example\n\nlabs.acme.example");
    await sso.getByLabel("Newcomers").selectOption({ label: "Add them as Member" });
    await page.screenshot({ path: `${OUT}console-identity-providers-sso.png` });
    await sso.getByRole("button", { name: "Save changes" }).click();
    await sso.waitFor({ state: "detached" });
    const withSso = await db.identityProvider.findUniqueOrThrow({ where: { id: stored.id }, include: { emailDomains: { orderBy: { domain: "asc" } } } });
    expect(withSso).toMatchObject({ signInEnabled: true, signInClientId: "0oa-scopekeeper", signInJitRole: "MEMBER" });
    expect(withSso.emailDomains.map((d) => d.domain)).toEqual(["acme.example", "labs.acme.example"]);
    expect(withSso.signInClientSecret).toBeTruthy();
    await row.getByRole("button", { name: "Edit Okta" }).click();
    expect(await sso.getByLabel("Client ID").inputValue()).toBe("0oa-scopekeeper");
    expect(await sso.getByLabel("Client secret").inputValue()).toBe("");
    expect(await sso.textContent()).toContain("A secret is stored and never shown");
    expect(await page.content()).not.toContain("upstream-secret-value-1");
    expect(await sso.getByLabel("Email domains").inputValue()).toBe("acme.example\nlabs.acme.example");
    expect(await sso.getByLabel("Newcomers").inputValue()).toBe("MEMBER");
    await page.screenshot({ path: `${OUT}console-identity-providers-sso-stored.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${OUT}console-identity-providers-sso-390.png` });
    await page.setViewportSize({ width: 1280, height: 900 });
    await sso.getByRole("button", { name: "Save changes" }).click();
    await sso.waitFor({ state: "detached" });
    expect((await db.identityProvider.findUniqueOrThrow({ where: { id: stored.id } })).signInClientSecret).toBe(withSso.signInClientSecret);

    // Remove asks first; Cancel keeps it, the confirmation removes it.
    await row.getByRole("button", { name: "Remove Okta" }).click();
    const dialog = page.getByRole("dialog", { name: "Remove Okta?" });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await db.identityProvider.count()).toBe(1);
    await row.getByRole("button", { name: "Remove Okta" }).click();
    await dialog.getByRole("button", { name: "Remove identity provider" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByText("No identity providers yet").waitFor();
    expect(await row.count()).toBe(0);
    expect(await db.identityProvider.count()).toBe(0);
    expect(await db.externalIdentity.count()).toBe(0);
    expect(blocked).toEqual([]);
    await context.close();
  }, 180_000);
});
