// Publication in the console, in real headless Chromium over a real server and database: an
// organization ADMIN sees what the app lacks, fills it in under Settings and requests
// publication; an operator ADMIN finds the request in the review queue, reads the diff and
// rejects it with a reason; the organization reads the reason, withdraws and requests again;
// the operator approves and the app is PUBLIC; a change to a critical field shows a pending
// review with its diff; unpublishing behind a confirmation makes it PRIVATE again. The database
// is checked at each step, each state is a screenshot in test-output/, and at 390 px nothing
// scrolls sideways. Non-operators get no review queue.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CreateApplicationDocument, GrantScopesDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { confineToLocalhost, describeWithChromium, launchChromium, signInToConsole, STUB_HOST } from "./helpers/chromium.ts";
import { graphql } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const OUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const CLIENT = `https://${STUB_HOST}`;
const CALLBACK = `${CLIENT}/callback`;
const NEW_CALLBACK = `${CLIENT}/v2/callback`;
const LOGO_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPQjf4PAAJAAYi44pCeAAAAAElFTkSuQmCC", "base64");
const ADA = { email: "ada@acme.example", password: "correct horse battery staple" };
const OLGA = { email: "olga@operator.example", password: "correct horse battery staple" };
const REASON = "The privacy policy page is empty. Publish the policy, then ask again.";

let server: TestServer;
let acme: Admin;
let browser: Browser | null = null;
const opened: BrowserContext[] = [];

async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser!.newContext({ viewport });
  opened.push(context);
  const page = await context.newPage();
  const blocked = await confineToLocalhost(page, (url) =>
    url.pathname === "/logo.png" ? { contentType: "image/png", body: LOGO_PNG } : { contentType: "text/html", body: "<h1>client</h1>" },
  );
  return { page, blocked };
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${OUT}console-publication-${name}.png`, fullPage: true });
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** An Acme app with a redirect URI and delegated scopes, but none of what publication needs. */
async function createBareApp(name: string) {
  const res = await graphql(server.url, acme.token, CreateApplicationDocument, {
    input: { name, applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: acme.organizationId, redirectUris: [{ uri: CALLBACK }] },
  });
  const created = res.data.createConnectApplication;
  if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
  const granted = await graphql(server.url, acme.token, GrantScopesDocument, { input: { applicationId: created.application.id, scopes: ["openid", "email"], kind: "DELEGATED" } });
  if (granted.data.grantScopes.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(granted.data));
  const row = await server.services.db.connectApplication.findFirstOrThrow({ where: { clientId: created.application.clientId } });
  return { id: created.application.id, dbId: row.id };
}

describeWithChromium("publication in the console", () => {
  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    server = await startTestServer();
    // The first organization bootstrapped operates the server: its ADMINs review publication.
    const operator = await bootstrapAdmin(server, "Scopekeeper Operations");
    acme = await bootstrapAdmin(server, "Acme");
    await createUser(server, acme.organizationDbId, ADA.email, ADA.password, "ADMIN", "Ada Admin");
    await createUser(server, operator.organizationDbId, OLGA.email, OLGA.password, "ADMIN", "Olga Operator");
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const context of opened) await context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it("takes an app from missing fields through rejection, approval, a reviewed change and unpublishing", async () => {
    const db = server.services.db;
    const app = await createBareApp("Weekly Digest");
    const requests = () => db.publicationRequest.findMany({ where: { applicationId: app.dbId }, orderBy: { createdAt: "asc" } });
    const visibility = async () => (await db.connectApplication.findUniqueOrThrow({ where: { id: app.dbId } })).visibility;
    const tabPath = `/console/applications/${encodeURIComponent(app.id)}/publication`;

    // 1. The organization's ADMIN sees what is missing; the request button says why it is off.
    const { page: ada, blocked: adaBlocked } = await newPage();
    await signInToConsole(ada, server.url, ADA, tabPath);
    const panel = ada.getByRole("tabpanel", { name: "Publication" });
    await panel.getByRole("heading", { name: "Visibility" }).waitFor();
    expect(await panel.locator(".status-line").textContent()).toContain("Private");
    expect(await panel.locator(".status-line").textContent()).toContain("Only members of Acme may authorize Weekly Digest.");
    const missing = panel.locator("ul.missing li");
    await missing.first().waitFor();
    expect((await missing.allTextContents()).map((t) => t.split(":")[0])).toEqual(["Logo URL", "Terms of service URL", "Privacy policy URL", "Description"]);
    const requestButton = panel.getByRole("button", { name: "Request publication" });
    expect(await requestButton.isDisabled()).toBe(true);
    expect(await requestButton.getAttribute("aria-describedby")).toBeTruthy();
    expect(await requests()).toEqual([]);
    await shot(ada, "1-missing");

    // Each missing item leads to its field in Settings, with the cursor in it.
    await panel.getByRole("link", { name: "Logo URL" }).click();
    await ada.waitForURL((u) => u.pathname.endsWith("/settings") && u.searchParams.get("field") === "logoUri");
    await expect.poll(() => ada.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("logoUri");
    await ada.getByLabel("Logo URL").fill(`${CLIENT}/logo.png`);
    await ada.getByLabel("Description", { exact: true }).fill("Your portals' week in one email.");
    await ada.getByLabel("Terms of service URL").fill(`${CLIENT}/terms`);
    await ada.getByLabel("Privacy policy URL").fill(`${CLIENT}/privacy`);
    await ada.getByRole("button", { name: "Save changes" }).click();
    await ada.getByText("Saved.").waitFor();

    // 2. Ready: the request goes out with its notes, and the tab shows the diff under review.
    await ada.getByRole("tab", { name: "Publication" }).click();
    await panel.getByRole("heading", { name: "Request publication" }).waitFor();
    await expect.poll(() => requestButton.isDisabled()).toBe(false);
    expect(await panel.locator("ul.missing").count()).toBe(0);
    await panel.getByLabel("Notes for the reviewers").fill("Used by our customers' portal editors.");
    await requestButton.click();
    await panel.getByRole("status").filter({ hasText: "Publication requested" }).waitFor();
    let rows = await requests();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "PENDING", origin: "REQUESTED", notes: "Used by our customers' portal editors." });
    expect(await visibility()).toBe("PRIVATE");
    await panel.getByRole("heading", { name: "The diff under review" }).waitFor();
    const diff = panel.getByRole("table", { name: "Changes under review" });
    expect(await diff.getByRole("row", { name: /Redirect URIs/ }).textContent()).toContain(CALLBACK);
    expect(await diff.getByRole("row", { name: /Delegated scopes/ }).textContent()).toMatch(/email.*openid/);
    expect(await panel.getByRole("button", { name: "Request publication" }).count()).toBe(0);
    expect(await panel.getByRole("button", { name: "Withdraw request" }).isVisible()).toBe(true);
    await shot(ada, "2-pending");

    // 3. The operator ADMIN finds it in the review queue, reads the diff, and rejects with a reason.
    const { page: olga, blocked: olgaBlocked } = await newPage();
    await signInToConsole(olga, server.url, OLGA, "/console/");
    await olga.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Review queue" }).click();
    await olga.getByRole("heading", { name: "Review queue", level: 1 }).waitFor();
    const queueRow = olga.getByRole("table", { name: "Pending publication requests" }).getByRole("row", { name: /Weekly Digest/ });
    await queueRow.waitFor();
    expect(await queueRow.textContent()).toContain("Acme");
    expect(await queueRow.textContent()).toContain("Requested by an admin");
    expect(await queueRow.textContent()).toContain("Used by our customers' portal editors.");
    await shot(olga, "3-queue");
    await queueRow.getByRole("link", { name: "Weekly Digest" }).click();
    await olga.getByRole("heading", { name: "Review Weekly Digest", level: 1 }).waitFor();
    const reviewDiff = olga.getByRole("table", { name: "Every critical field (first publication)" });
    expect(await reviewDiff.getByRole("row", { name: /Name/ }).textContent()).toContain("Not published yet");
    expect(await reviewDiff.getByRole("row", { name: /Redirect URIs/ }).textContent()).toContain(CALLBACK);
    await shot(olga, "4-review");
    await olga.getByRole("button", { name: "Reject" }).click();
    const rejectDialog = olga.getByRole("dialog", { name: "Reject Weekly Digest?" });
    await rejectDialog.getByRole("button", { name: "Reject request" }).click();
    await rejectDialog.getByText("Say why, so the organization knows what to change.").waitFor();
    expect((await requests())[0]!.status).toBe("PENDING");
    await shot(olga, "5-reject-needs-reason");
    await rejectDialog.getByLabel("Reason").fill(REASON);
    await rejectDialog.getByRole("button", { name: "Reject request" }).click();
    await rejectDialog.waitFor({ state: "detached" });
    await olga.getByRole("status").filter({ hasText: "Rejected" }).waitFor();
    expect(await olga.getByRole("button", { name: "Approve" }).count()).toBe(0);
    rows = await requests();
    expect(rows[0]).toMatchObject({ status: "REJECTED", reason: REASON });
    expect(rows[0]!.decidedAt).toBeInstanceOf(Date);
    expect(await visibility()).toBe("PRIVATE");

    // 4. The organization reads the reason, withdraws a second request, and asks a third time.
    await ada.reload();
    await panel.getByRole("heading", { name: "Latest request" }).waitFor();
    expect(await panel.locator("dl.facts").textContent()).toContain("Rejected");
    expect(await panel.locator("dl.facts").textContent()).toContain(`Reason for rejection${REASON}`);
    await shot(ada, "6-rejected");
    await panel.getByRole("button", { name: "Request publication" }).click();
    await panel.getByRole("button", { name: "Withdraw request" }).click();
    await panel.getByRole("status").filter({ hasText: "The request was withdrawn." }).waitFor();
    expect((await requests()).map((r) => r.status)).toEqual(["REJECTED", "WITHDRAWN"]);
    await panel.getByLabel("Notes for the reviewers").fill("The privacy policy is online now.");
    await panel.getByRole("button", { name: "Request publication" }).click();
    await panel.getByRole("button", { name: "Withdraw request" }).waitFor();
    expect((await requests()).map((r) => r.status)).toEqual(["REJECTED", "WITHDRAWN", "PENDING"]);
    expect(await panel.getByRole("table", { name: "Earlier requests" }).getByRole("row").count()).toBe(3); // header + 2

    // 5. The operator approves: the app is PUBLIC.
    await olga.getByRole("link", { name: "Review queue" }).first().click();
    const again = olga.getByRole("table", { name: "Pending publication requests" }).getByRole("row", { name: /Weekly Digest/ });
    await again.getByRole("link", { name: "Weekly Digest" }).click();
    // Approving publishes to everyone: it asks first, and Cancel changes nothing.
    await olga.getByRole("button", { name: "Approve" }).click();
    const confirmApproval = olga.getByRole("dialog", { name: "Approve Weekly Digest?" });
    await confirmApproval.getByRole("button", { name: "Cancel" }).click();
    await confirmApproval.waitFor({ state: "detached" });
    expect((await requests()).at(-1)).toMatchObject({ status: "PENDING" });
    await olga.getByRole("button", { name: "Approve" }).click();
    await shot(olga, "approve-confirm");
    await confirmApproval.getByRole("button", { name: "Approve and publish" }).click();
    await olga.getByRole("status").filter({ hasText: "Approved: Weekly Digest is public." }).waitFor();
    expect((await requests()).at(-1)).toMatchObject({ status: "APPROVED" });
    expect(await visibility()).toBe("PUBLIC");
    await olga.getByRole("link", { name: "Review queue" }).first().click();
    await olga.getByText("Nothing to review").waitFor();

    await ada.reload();
    await panel.getByRole("heading", { name: "Unpublish" }).waitFor();
    expect(await panel.locator(".status-line").textContent()).toContain("Public");
    expect(await panel.getByText("Published and unchanged since its approval").isVisible()).toBe(true);
    await shot(ada, "7-public");

    // 6. A new redirect URI is a critical change: a review opens by itself, with the diff.
    await ada.getByRole("tab", { name: "Settings" }).click();
    await ada.getByLabel("Redirect URIs").fill(`${CALLBACK}\n${NEW_CALLBACK}`);
    await ada.getByRole("button", { name: "Save changes" }).click();
    await ada.getByText("Saved.").waitFor();
    rows = await requests();
    expect(rows.at(-1)).toMatchObject({ status: "PENDING", origin: "CRITICAL_CHANGE" });
    expect(await visibility()).toBe("PUBLIC");
    await ada.getByRole("tab", { name: "Publication" }).click();
    await panel.getByRole("heading", { name: "The diff under review" }).waitFor();
    expect(await panel.locator(".status-line").textContent()).toMatch(/Public.*Review pending/);
    expect(await panel.locator("dl.facts").textContent()).toContain("Opened by a change to a critical field");
    const change = panel.getByRole("table", { name: "Changes under review" });
    expect(await change.getByRole("row").count()).toBe(2); // header + redirect URIs only
    const uriRow = change.getByRole("row", { name: /Redirect URIs/ });
    expect(await uriRow.locator("td[data-label=Approved]").textContent()).toBe(CALLBACK);
    expect(await uriRow.locator("td[data-label=Proposed] ins").textContent()).toBe(NEW_CALLBACK);
    await shot(ada, "8-critical-change");

    // At 390 px the tab (diff table included) fits without sideways scrolling.
    await ada.setViewportSize({ width: 390, height: 844 });
    expect(await overflow(ada)).toBeLessThanOrEqual(0);
    await shot(ada, "8-critical-change-390");
    await ada.setViewportSize({ width: 1280, height: 900 });

    // The operator's review shows the same change against the approved revision, also at 390 px.
    await olga.reload();
    await olga.getByRole("table", { name: "Pending publication requests" }).getByRole("link", { name: "Weekly Digest" }).click();
    const changeDiff = olga.getByRole("table", { name: "Critical fields that changed" });
    await changeDiff.waitFor();
    expect(await changeDiff.getByRole("row", { name: /Redirect URIs/ }).textContent()).toContain(NEW_CALLBACK);
    await olga.setViewportSize({ width: 390, height: 844 });
    expect(await overflow(olga)).toBeLessThanOrEqual(0);
    await shot(olga, "9-review-change-390");
    await olga.getByRole("link", { name: "Review queue" }).first().click();
    await olga.getByRole("table", { name: "Pending publication requests" }).waitFor();
    expect(await overflow(olga)).toBeLessThanOrEqual(0);
    await shot(olga, "9-queue-390");

    // 7. Unpublishing asks first, saying outsiders lose access; Cancel keeps it PUBLIC.
    await panel.getByRole("button", { name: "Unpublish" }).click();
    const confirm = ada.getByRole("dialog", { name: "Unpublish Weekly Digest?" });
    expect(await confirm.textContent()).toContain("People outside Acme lose access at once");
    await shot(ada, "10-unpublish-dialog");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    expect(await visibility()).toBe("PUBLIC");
    await panel.getByRole("button", { name: "Unpublish" }).click();
    await confirm.getByRole("button", { name: "Unpublish application" }).click();
    await confirm.waitFor({ state: "detached" });
    await panel.getByRole("status").filter({ hasText: "Weekly Digest is private again." }).waitFor();
    expect(await visibility()).toBe("PRIVATE");
    expect((await requests()).at(-1)).toMatchObject({ status: "WITHDRAWN", origin: "CRITICAL_CHANGE" });
    expect((await db.connectApplication.findUniqueOrThrow({ where: { id: app.dbId } })).approvedRevision).toBeNull();
    await expect.poll(() => panel.locator(".status-line").textContent()).toContain("Private");
    expect(await panel.getByRole("heading", { name: "Unpublish" }).count()).toBe(0);
    expect(await panel.getByRole("button", { name: "Request publication" }).isEnabled()).toBe(true);
    await shot(ada, "11-private-again");

    expect(adaBlocked).toEqual([]);
    expect(olgaBlocked).toEqual([]);
  }, 300_000);

  it("shows no review queue to an ADMIN outside the operator organization", async () => {
    const { page } = await newPage({ width: 390, height: 844 });
    await signInToConsole(page, server.url, ADA, "/console/reviews");
    await page.getByRole("heading", { name: "Review queue", level: 1 }).waitFor();
    await page.getByText("Only operators review publication requests").waitFor();
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Review queue" }).count()).toBe(0);
    expect(await page.getByRole("table").count()).toBe(0);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await shot(page, "12-not-operator-390");
    await page.goto(`${server.url}/console/reviews/pub_anything`);
    await page.getByText("Only operators review publication requests").waitFor();
  }, 120_000);
});
