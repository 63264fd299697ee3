// The console in real headless Chromium over a real server and database: an ADMIN follows the
// eGain walk-through (create a Web app, add a secret and read it once, tick Knowledge's delegated
// and application permissions), and the secret then earns a token carrying exactly the ticked
// application scope; a MEMBER sees no application but sees and revokes a connected app; an
// ADMIN of one organization never sees another's applications; a broken rule shows at its
// field; and nothing but this server is ever contacted. Screenshots go to test-output/.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { confineToLocalhost, describeWithChromium, launchChromium, signInToConsole, STUB_HOST } from "./helpers/chromium.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const CLIENT = `https://${STUB_HOST}`;
const LOGO_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPQjf4PAAJAAYi44pCeAAAAAElFTkSuQmCC", "base64");
const OUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const DELEGATED = "knowledge.articles.read";
const APPLICATION = "knowledge.articles.search";

let server: TestServer;
let acme: Admin;
let globex: Admin;
let browser: Browser | null = null;
const people = {
  acmeAdmin: { email: "ada@acme.example", password: "correct horse battery staple" },
  acmeMember: { email: "max@acme.example", password: "correct horse battery staple" },
  globexAdmin: { email: "gus@globex.example", password: "correct horse battery staple" },
};
/** Set by the walk-through, used by the later tests. */
let egain: { id: string; clientId: string } | null = null;

async function newContext(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page; blocked: string[]; hosts: Set<string> }> {
  const context = await browser!.newContext({ viewport });
  const page = await context.newPage();
  const hosts = new Set<string>();
  page.on("request", (r) => hosts.add(new URL(r.url()).host));
  const blocked = await confineToLocalhost(page, (url) =>
    url.pathname === "/logo.png" ? { contentType: "image/png", body: LOGO_PNG } : { contentType: "text/html", body: "<h1>client</h1>" },
  );
  return { context, page, blocked, hosts };
}

const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: `${OUT}console-${name}.png`, fullPage });

describeWithChromium("the console", () => {
  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    server = await startTestServer();
    // The first organization operates the server; the customers come after it.
    await bootstrapAdmin(server, "Operator");
    acme = await bootstrapAdmin(server, "Acme");
    globex = await bootstrapAdmin(server, "Globex");
    await createUser(server, acme.organizationDbId, people.acmeAdmin.email, people.acmeAdmin.password, "ADMIN", "Ada Admin");
    await createUser(server, acme.organizationDbId, people.acmeMember.email, people.acmeMember.password, "MEMBER", "Max Member");
    await createUser(server, globex.organizationDbId, people.globexAdmin.email, people.globexAdmin.password, "ADMIN", "Gus Globex");
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("lets an ADMIN follow the eGain walk-through, and the secret earns a token with exactly the ticked application scope", async () => {
    const { context, page, blocked, hosts } = await newContext();
    await signInToConsole(page, server.url, people.acmeAdmin);
    await expect.poll(() => page.getByRole("heading", { name: "Applications", level: 1 }).isVisible()).toBe(true);
    // Bootstrap registered the organization's M2M admin app: the list starts with it.
    await page.getByRole("link", { name: "Acme admin" }).waitFor();

    // Create: a Web app with two redirect URIs.
    await page.getByRole("link", { name: "Create application" }).first().click();
    await page.getByLabel("Name").fill("eGain Knowledge Connector");
    await page.getByLabel("Description").fill("Syncs knowledge articles into the eGain agent desktop.");
    await page.getByLabel("Application type").selectOption({ label: "OAuth" });
    await page.getByLabel("Platform").selectOption({ label: "Web" });
    await page.getByLabel("Redirect URIs").fill(`${CLIENT}/callback\n${CLIENT}/callback/alternate`);
    await page.getByLabel("Logo URL").fill(`${CLIENT}/logo.png`);
    await page.getByLabel("Terms of service URL").fill(`${CLIENT}/terms`);
    await page.getByLabel("Privacy policy URL").fill(`${CLIENT}/privacy`);
    await shot(page, "create");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.waitForURL(/\/console\/applications\/[^/]+\/credentials$/);
    await page.getByRole("heading", { name: "eGain Knowledge Connector", level: 1 }).waitFor();
    for (const tab of ["Settings", "Credentials", "Permissions", "Publication", "Activity"]) {
      expect(await page.getByRole("tab", { name: tab }).count()).toBe(1);
    }
    const clientId = (await page.locator(".client-id code").textContent())!.trim();
    expect(clientId).toMatch(/^[\w-]{16,}$/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split("/")[3]!);
    egain = { id, clientId };

    // Add a secret; it is shown once, in a read-only field, and gone when the dialog closes.
    await page.getByRole("button", { name: "Add secret" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Description").fill("Production connector");
    await dialog.getByLabel("Expires in days").fill("90");
    await dialog.getByRole("button", { name: "Create secret" }).click();
    const secretField = dialog.getByLabel("Client secret");
    await secretField.waitFor();
    expect(await secretField.getAttribute("readonly")).not.toBeNull();
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^sk_[0-9a-f]+_/);
    expect(await dialog.getByRole("button", { name: "Copy" }).count()).toBe(1);
    await expect.poll(() => dialog.getByText("only time the secret is shown").isVisible()).toBe(true);
    await shot(page, "secret-once", false);
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await page.getByLabel("Client secret").count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    const row = page.getByRole("row", { name: /Production connector/ });
    await row.waitFor();
    expect(await row.textContent()).toContain(secret.slice(-4));
    expect(await row.getByRole("button", { name: "Revoke" }).count()).toBe(1);
    // Secret hygiene: an unused secret says so; one that expires within 30 days is flagged.
    expect(await row.textContent()).toContain("Never used");
    expect(await row.textContent()).not.toContain("Expires soon");
    await page.getByRole("button", { name: "Add secret" }).click();
    await dialog.getByLabel("Description").fill("Short-lived rotation");
    await dialog.getByLabel("Expires in days").fill("10");
    await dialog.getByRole("button", { name: "Create secret" }).click();
    await dialog.getByLabel("Client secret").waitFor();
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "detached" });
    const soon = page.getByRole("row", { name: /Short-lived rotation/ });
    await soon.waitFor();
    expect(await soon.textContent()).toContain("Expires soon");
    await shot(page, "credentials");

    // Permissions: Knowledge's delegated and application scopes, saved as grants.
    await page.getByRole("tab", { name: "Permissions" }).click();
    const knowledge = page.getByRole("region", { name: "Knowledge" });
    await knowledge.getByRole("heading", { name: "Knowledge" }).waitFor();
    await knowledge.getByRole("group", { name: "Delegated permissions" }).getByRole("checkbox", { name: DELEGATED, exact: true }).check();
    await knowledge.getByRole("group", { name: "Application permissions" }).getByRole("checkbox", { name: APPLICATION, exact: true }).check();
    await page.getByRole("button", { name: "Save permissions" }).click();
    await page.getByText("Permissions saved.").waitFor();
    await shot(page, "permissions");
    const grants = await server.services.db.scopeGrant.findMany({ where: { application: { clientId } } });
    expect(grants.map((g) => `${g.kind} ${g.scope}`).sort()).toEqual([`APPLICATION ${APPLICATION}`, `DELEGATED ${DELEGATED}`]);

    // The secret read once gets a client_credentials token carrying exactly the application scope.
    const token = await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: APPLICATION }, basic(clientId, secret));
    expect(token.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(String(token.body.access_token), jwks, { issuer: server.url, typ: "at+jwt" });
    expect(payload.client_id).toBe(clientId);
    expect(payload.scope).toBe(APPLICATION);
    const delegatedOnly = await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: DELEGATED }, basic(clientId, secret));
    expect(delegatedOnly.body.error).toBe("invalid_scope");

    // Revoking asks first: Cancel keeps the secret, the red button revokes it and closes.
    await page.getByRole("tab", { name: "Credentials" }).click();
    await soon.getByRole("button", { name: "Revoke" }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke this secret?" });
    await confirm.getByText("“Short-lived rotation”").waitFor();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    const stillActive = await server.services.db.clientSecret.findMany({ where: { application: { clientId }, revokedAt: null } });
    expect(stillActive).toHaveLength(2);
    await soon.getByRole("button", { name: "Revoke" }).click();
    await confirm.getByRole("button", { name: "Revoke secret" }).click();
    await confirm.waitFor({ state: "detached" });
    await expect
      .poll(async () => (await server.services.db.clientSecret.findMany({ where: { application: { clientId }, revokedAt: null } })).map((s) => s.description))
      .toEqual(["Production connector"]);

    // The other tabs, for the record.
    await page.getByRole("tab", { name: "Activity" }).click();
    await page.getByText("Secret added").first().waitFor();
    await shot(page, "activity");
    await page.getByRole("tab", { name: "Publication" }).click();
    await page.getByRole("heading", { name: "Visibility" }).waitFor();
    await shot(page, "publication");
    await page.getByRole("tab", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Danger zone" }).waitFor();
    await shot(page, "settings");
    await page.getByRole("link", { name: "Applications" }).first().click();
    await page.getByRole("link", { name: "eGain Knowledge Connector" }).waitFor();
    await shot(page, "applications");

    expect(blocked).toEqual([]);
    expect([...hosts].filter((h) => h !== new URL(server.url).host && h !== STUB_HOST)).toEqual([]);
    await context.close();
  }, 180_000);

  it("shows a broken rule at its field, and the list is readable at 390 px", async () => {
    const { context, page, blocked } = await newContext({ width: 390, height: 844 });
    await signInToConsole(page, server.url, people.acmeAdmin, "/console/applications/new");
    await page.getByLabel("Name").fill("Plain HTTP app");
    await page.getByLabel("Redirect URIs").fill(`${CLIENT}/ok\nhttp://insecure.example.test/callback`);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    const field = page.getByLabel("Redirect URIs");
    await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
    const describedBy = (await field.getAttribute("aria-describedby"))!.split(" ");
    const message = await page.locator(`[id="${describedBy.at(-1)}"]`).textContent();
    expect(message).toMatch(/^Line 2: /);
    expect(await server.services.db.connectApplication.count({ where: { name: "Plain HTTP app" } })).toBe(0);
    await field.scrollIntoViewIfNeeded();
    await shot(page, "validation-error-390", false);
    await page.getByRole("link", { name: "Applications" }).first().click();
    await page.getByRole("link", { name: "eGain Knowledge Connector" }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "applications-390");
    expect(blocked).toEqual([]);
    await context.close();
  }, 180_000);

  it("never shows an ADMIN of one organization another organization's applications", async () => {
    const { context, page, blocked } = await newContext();
    await signInToConsole(page, server.url, people.globexAdmin);
    await page.getByRole("link", { name: "Globex admin" }).waitFor();
    expect(await page.getByText("eGain Knowledge Connector").count()).toBe(0);
    await page.goto(`${server.url}/console/applications/${encodeURIComponent(egain!.id)}`);
    await page.getByRole("heading", { name: "Application not found" }).waitFor();
    expect(await page.content()).not.toContain(egain!.clientId);
    expect(blocked).toEqual([]);
    await context.close();
  }, 180_000);

  it("shows a MEMBER no application, and lets them see and revoke a connected app", async () => {
    const member = await server.services.db.user.findUniqueOrThrow({ where: { email: people.acmeMember.email } });
    const app = await server.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: egain!.clientId } });
    await server.services.db.consent.create({ data: { userId: member.id, applicationId: app.id, scopes: `openid ${DELEGATED}` } });
    await server.services.db.refreshToken.create({
      data: {
        tokenHash: "member-refresh-hash",
        familyId: "member-family",
        applicationId: app.id,
        userId: member.id,
        scopes: `openid offline_access ${DELEGATED}`,
        authTime: new Date(),
        accessTokenId: "member-access-jti",
        accessExpiresAt: new Date(Date.now() + 600_000),
        expiresAt: new Date(Date.now() + 86_400_000),
      },
    });

    const { context, page, blocked } = await newContext();
    // A MEMBER administers nothing: the console opens on the apps they connected.
    await signInToConsole(page, server.url, people.acmeMember);
    await page.getByRole("heading", { name: "Connected apps", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/console/connected-apps");
    expect(await page.getByRole("link", { name: "Create application" }).count()).toBe(0);
    await page.goto(`${server.url}/console/applications`);
    await page.getByText("You do not administer any organization").waitFor();
    expect(await page.getByText("eGain Knowledge Connector").count()).toBe(0);
    await shot(page, "member-applications");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connected apps" }).click();
    const card = page.getByRole("listitem", { name: "eGain Knowledge Connector" });
    await card.waitFor();
    // What they agreed to, in the consent screen's words rather than scope ids.
    expect(await card.textContent()).toContain("Read knowledge articles you have access to");
    expect(await card.textContent()).not.toContain(DELEGATED);
    await shot(page, "connected-apps");
    await card.getByRole("button", { name: "Revoke access" }).click();
    await page.getByRole("status").filter({ hasText: "Access for eGain Knowledge Connector revoked." }).waitFor();
    await card.waitFor({ state: "detached" });
    expect(await server.services.db.consent.count({ where: { userId: member.id, applicationId: app.id } })).toBe(0);
    const refresh = await server.services.db.refreshToken.findUniqueOrThrow({ where: { tokenHash: "member-refresh-hash" } });
    expect(refresh.revokedAt).not.toBeNull();
    expect(blocked).toEqual([]);
    await context.close();
  }, 180_000);

  it("lets an ADMIN invite someone with a copyable one-time link", async () => {
    const { context, page, blocked } = await newContext();
    await signInToConsole(page, server.url, people.acmeAdmin, "/console/members");
    await page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    await page.getByRole("cell", { name: people.acmeMember.email }).waitFor();
    // People's names, and a search over names and emails.
    await page.getByRole("cell", { name: "Max Member" }).waitFor();
    await page.getByLabel("Search members").fill("max");
    await expect.poll(() => page.getByRole("cell", { name: people.acmeAdmin.email }).count()).toBe(0);
    expect(await page.getByRole("cell", { name: people.acmeMember.email }).count()).toBe(1);
    await page.getByLabel("Search members").fill("");
    await page.getByLabel("Email").fill("newcomer@acme.example");
    await page.getByRole("button", { name: "Invite" }).click();
    const link = page.getByRole("dialog").getByLabel("Invitation link");
    await link.waitFor();
    expect(await link.inputValue()).toMatch(new RegExp(`^${server.url}/oauth/invitation\\?token=`));
    await shot(page, "members-invite", false);
    await page.getByRole("dialog").getByRole("button", { name: "Done" }).click();
    await shot(page, "members");

    // Removing a member asks first, then the row and the membership are gone.
    const memberRow = page.getByRole("row", { name: new RegExp(people.acmeMember.email) });
    await memberRow.getByRole("button", { name: "Remove" }).click();
    const confirm = page.getByRole("dialog", { name: `Remove ${people.acmeMember.email}?` });
    await confirm.getByRole("button", { name: "Remove member" }).click();
    await confirm.waitFor({ state: "detached" });
    await memberRow.waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: `${people.acmeMember.email} removed.` }).waitFor();
    const user = await server.services.db.user.findUniqueOrThrow({ where: { email: people.acmeMember.email }, include: { memberships: true } });
    expect(user.memberships).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  }, 180_000);
});
