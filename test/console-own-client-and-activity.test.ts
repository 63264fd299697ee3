// Two things an operator ADMIN tripped on in the console (issue 23):
//   - the console's own client (scopekeeper-console) was listed among their applications, and
//     could be edited or deleted, locking every person out until the next start put it back. It
//     is the server's fixture, not a registry application: no list or lookup shows it, and every
//     change to it is NotFound, while it keeps signing people in;
//   - Activity named people by their usr_ id. AuditEvent.actor names them (name and email), and
//     an application by its name; the console's Activity tab shows those, in real Chromium.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { describeWithChromium, launchChromium, signInToConsole } from "./helpers/chromium.ts";
import { consoleToken } from "./helpers/people.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";
import { graphqlData } from "./helpers/http.ts";

const olga = { email: "olga@operator.example", password: "correct horse battery staple" };
const ada = { email: "ada@acme.example", password: "correct horse battery staple" };

let server: TestServer;
let operator: Admin;
let acme: Admin;
let olgaToken: string;
let adaToken: string;
let consoleAppId: string;
let browser: Browser | null = null;

const gql = (token: string, query: string, variables: Record<string, unknown> = {}) => graphqlData(server.url, token, query, variables);

const CREATE = `mutation ($input: CreateConnectApplicationInput!) {
  createConnectApplication(input: $input) {
    __typename
    ... on CreateConnectApplicationSuccess { application { id clientId } }
    ... on Error { message }
  }
}`;

beforeAll(async () => {
  server = await startTestServer();
  operator = await bootstrapAdmin(server, "Operator");
  acme = await bootstrapAdmin(server, "Acme");
  await createUser(server, operator.organizationDbId, olga.email, olga.password, "ADMIN", "Olga Operator");
  await createUser(server, acme.organizationDbId, ada.email, ada.password, "ADMIN", "Ada Lovelace");
  olgaToken = (await consoleToken(server, olga)).accessToken;
  adaToken = (await consoleToken(server, ada)).accessToken;
  const row = await server.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: "scopekeeper-console" } });
  consoleAppId = `app_${row.id}`;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("the console's own client is not a registry application", () => {
  it("is not among an operator ADMIN's applications, while their other first-party apps are", async () => {
    const made = await gql(olgaToken, CREATE, {
      input: { name: "Operator portal", applicationType: "OAUTH", platform: "WEB", isFirstParty: true, redirectUris: [{ uri: "https://portal.example/cb", default: true }] },
    });
    expect(made.createConnectApplication.__typename).toBe("CreateConnectApplicationSuccess");
    const list = await gql(olgaToken, `{ applications(first: 100) { edges { node { clientId name isFirstParty } } } }`);
    const clientIds = list.applications.edges.map((e: { node: { clientId: string } }) => e.node.clientId);
    expect(clientIds).toContain(made.createConnectApplication.application.clientId);
    expect(clientIds).not.toContain("scopekeeper-console");
    const searched = await gql(olgaToken, `{ applications(first: 10, search: "console") { edges { node { clientId } } } }`);
    expect(searched.applications.edges).toEqual([]);
  });

  it("reads as absent by id and refuses every change with NotFoundError, changing nothing", async () => {
    expect((await gql(olgaToken, `query ($id: ID!) { node(id: $id) { id } }`, { id: consoleAppId })).node).toBeNull();
    expect((await gql(olgaToken, `{ application(clientId: "scopekeeper-console") { id } }`)).application).toBeNull();
    const update = await gql(
      olgaToken,
      `mutation ($input: UpdateConnectApplicationInput!) { updateConnectApplication(input: $input) { __typename } }`,
      { input: { id: consoleAppId, redirectUris: [{ uri: "https://evil.example/cb", default: true }] } },
    );
    expect(update.updateConnectApplication.__typename).toBe("NotFoundError");
    const remove = await gql(olgaToken, `mutation ($input: DeleteConnectApplicationInput!) { deleteConnectApplication(input: $input) { __typename } }`, { input: { id: consoleAppId } });
    expect(remove.deleteConnectApplication.__typename).toBe("NotFoundError");
    const grant = await gql(
      olgaToken,
      `mutation ($input: GrantScopesInput!) { grantScopes(input: $input) { __typename } }`,
      { input: { applicationId: consoleAppId, scopes: ["knowledge.articles.read"], kind: "DELEGATED" } },
    );
    expect(grant.grantScopes.__typename).toBe("NotFoundError");
    const row = await server.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: "scopekeeper-console" }, include: { redirectUris: true, scopeGrants: true } });
    expect(row.redirectUris.map((r) => r.uri)).toContain(`${server.url}/console/callback`);
    expect(row.scopeGrants.map((g) => g.scope)).not.toContain("knowledge.articles.read");
    // And it still signs people in.
    expect((await consoleToken(server, olga)).accessToken).toBeTruthy();
  });
});

describe("AuditEvent.actor", () => {
  it("names a person by name and email and an application by its name, never only by id", async () => {
    const made = await gql(adaToken, CREATE, {
      input: { name: "Ada's app", applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: acme.organizationId, redirectUris: [{ uri: "https://ada.example/cb", default: true }] },
    });
    const appId = made.createConnectApplication.application.id;
    const byApp = await gql(acme.token, `mutation ($input: UpdateConnectApplicationInput!) { updateConnectApplication(input: $input) { __typename } }`, {
      input: { id: appId, description: "Changed by the admin app" },
    });
    expect(byApp.updateConnectApplication.__typename).toBe("UpdateConnectApplicationSuccess");
    const events = await gql(adaToken, `query ($id: ID!) { auditEvents(first: 10, filter: { applicationId: $id }) { edges { node { action actor { kind id name email } } } } }`, { id: appId });
    const actors = events.auditEvents.edges.map((e: { node: { action: string; actor: unknown } }) => [e.node.action, e.node.actor]);
    const ada_ = await server.services.db.user.findUniqueOrThrow({ where: { email: ada.email } });
    const adminApp = await server.services.db.connectApplication.findUniqueOrThrow({ where: { clientId: acme.clientId } });
    expect(actors).toEqual(
      expect.arrayContaining([
        ["application.created", { kind: "USER", id: `usr_${ada_.id}`, name: "Ada Lovelace", email: ada.email }],
        ["application.updated", { kind: "APPLICATION", id: acme.clientId, name: adminApp.name, email: null }],
      ]),
    );
  });
});

describeWithChromium("the console's Activity tab", () => {
  let page: Page;
  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser!.newPage();
  });

  it("shows who acted by name and email, with no usr_ id on the page", async () => {
    const app = await server.services.db.connectApplication.findFirstOrThrow({ where: { name: "Ada's app" } });
    await signInToConsole(page, server.url, ada, `/console/applications/app_${app.id}/activity`);
    await page.getByRole("heading", { name: "Activity" }).waitFor();
    const timeline = page.locator(".timeline");
    await timeline.getByText("by Ada Lovelace (ada@acme.example)").waitFor();
    await expect(timeline.textContent()).resolves.not.toMatch(/usr_/);
  });

  it("does not list the console itself for an operator ADMIN", async () => {
    const context = await browser!.newContext();
    const operatorPage = await context.newPage();
    await signInToConsole(operatorPage, server.url, olga, "/console/applications");
    await operatorPage.getByRole("link", { name: "Operator portal" }).waitFor();
    expect(await operatorPage.getByText("Scopekeeper console").count()).toBe(0);
    expect(await operatorPage.getByText("scopekeeper-console").count()).toBe(0);
    await context.close();
  });
});
