// Publication: a PRIVATE app becomes PUBLIC through a request an operator ADMIN approves; what
// was approved is the revision people outside the organization get until a change to a
// critical field is approved too; unpublishing ends outsiders' consents and refresh tokens.
// Every transition and refusal of src/applications/publication.ts over real HTTP, the
// concurrent decisions on SQLite and PostgreSQL, and the authorization flows in Chromium.
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLICATION_TRANSITIONS, publicationStateDiagram } from "../src/applications/publication.ts";
import {
  AddSecretDocument,
  ApplicationPublicationDocument,
  ApprovePublicationDocument,
  AuditEventsDocument,
  CreateApplicationDocument,
  GrantScopesDocument,
  PublicationRequestNodeDocument,
  PublicationRequestsDocument,
  RejectPublicationDocument,
  RequestPublicationDocument,
  RevokeScopesDocument,
  UnpublishApplicationDocument,
  UpdateApplicationDocument,
  WithdrawPublicationDocument,
  type CreateConnectApplicationInput,
} from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorizePath, pkcePair } from "./helpers/agent.ts";
import { confineToLocalhost, describeWithChromium, launchChromium } from "./helpers/chromium.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const CALLBACK = "https://client.example.test/callback";
const NEW_CALLBACK = "https://client.example.test/v2/callback";
const OUTPUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const APPROVED_SCOPES = ["openid", "email", "knowledge.portalmgr.read"];
const NEW_SCOPE = "knowledge.articles.read";

let server: TestServer;
let operator: Admin;
let acme: Admin;
let globex: Admin;
let member: { id: string; email: string; password: string };
let outsider: { id: string; email: string; password: string };

beforeAll(async () => {
  server = await startTestServer();
  // The first organization bootstrapped operates the server: its ADMINs decide publication.
  operator = await bootstrapAdmin(server, "Scopekeeper Operations");
  acme = await bootstrapAdmin(server, "Acme Corporation");
  globex = await bootstrapAdmin(server, "Globex");
  member = await createUser(server, acme.organizationDbId, "alice@acme.test");
  outsider = await createUser(server, globex.organizationDbId, "grace@globex.test");
});
afterAll(async () => server?.close());

const complete = (name: string): Partial<CreateConnectApplicationInput> => ({
  name,
  description: "Weekly reports from your knowledge portals.",
  logoUri: "https://client.example.test/logo.png",
  termsOfServiceUri: "https://client.example.test/terms",
  privacyPolicyUri: "https://client.example.test/privacy",
});

async function createApp(as: Admin, fields: Partial<CreateConnectApplicationInput>, scopes = APPROVED_SCOPES) {
  const res = await graphql(server.url, as.token, CreateApplicationDocument, {
    input: { applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: as.organizationId, redirectUris: [{ uri: CALLBACK }], name: "x", ...fields },
  });
  const created = res.data.createConnectApplication;
  if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
  const granted = await graphql(server.url, as.token, GrantScopesDocument, { input: { applicationId: created.application.id, scopes, kind: "DELEGATED" } });
  if (granted.data.grantScopes.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(granted.data));
  const secret = (await graphql(server.url, as.token, AddSecretDocument, { input: { applicationId: created.application.id } })).data.addClientSecret;
  if (secret.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(secret));
  return { id: created.application.id, clientId: created.application.clientId, secret: secret.plaintext };
}

const requestPublication = async (as: Admin, applicationId: string, notes?: string) =>
  (await graphql(server.url, as.token, RequestPublicationDocument, { input: { applicationId, ...(notes ? { notes } : {}) } })).data.requestPublication;
const approve = async (as: Admin, requestId: string) => (await graphql(server.url, as.token, ApprovePublicationDocument, { input: { requestId } })).data.approvePublication;
const reject = async (as: Admin, requestId: string, reason: string) =>
  (await graphql(server.url, as.token, RejectPublicationDocument, { input: { requestId, reason } })).data.rejectPublication;
const withdraw = async (as: Admin, requestId: string) => (await graphql(server.url, as.token, WithdrawPublicationDocument, { input: { requestId } })).data.withdrawPublication;
const unpublish = async (as: Admin, applicationId: string) =>
  (await graphql(server.url, as.token, UnpublishApplicationDocument, { input: { applicationId } })).data.unpublishApplication;
const publication = async (as: Admin, id: string) => (await graphql(server.url, as.token, ApplicationPublicationDocument, { id })).data.application;
const codes = (r: { __typename: string; fieldErrors?: { code: string }[] }) => (r.fieldErrors ?? []).map((e) => e.code);

function requestOf<T extends { __typename: string }>(result: T) {
  if (!("publicationRequest" in result)) throw new Error(JSON.stringify(result));
  return (result as unknown as { publicationRequest: { id: string; status: string; reason: string | null; application: { id: string; visibility: string } } })
    .publicationRequest;
}

/** A complete app of Acme made PUBLIC by the operator. */
async function publishedApp(name: string) {
  const app = await createApp(acme, complete(name));
  const pending = requestOf(await requestPublication(acme, app.id));
  requestOf(await approve(operator, pending.id));
  return app;
}

describe("requestPublication", () => {
  it("lists everything missing at once in one ValidationError, and opens nothing", async () => {
    const app = await createApp(acme, { name: "Bare app" });
    const res = await requestPublication(acme, app.id);
    expect(res.__typename).toBe("ValidationError");
    expect(codes(res as never).sort()).toEqual(["description_required", "logo_uri_required", "privacy_policy_uri_required", "terms_of_service_uri_required"]);
    const state = await publication(acme, app.id);
    expect(state?.publicationReadiness.ready).toBe(false);
    expect(state?.publicationReadiness.missing.map((m) => m.code).sort()).toEqual(codes(res as never).sort());
    expect(state?.publicationRequest).toBeNull();
    expect(state?.visibility).toBe("PRIVATE");
  });

  it("refuses an M2M app: not OAUTH, and no redirect URI", async () => {
    const created = (
      await graphql(server.url, acme.token, CreateApplicationDocument, {
        input: { ...complete("Robot"), applicationType: "M2M", organizationId: acme.organizationId } as CreateConnectApplicationInput,
      })
    ).data.createConnectApplication;
    if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
    const res = await requestPublication(acme, created.application.id);
    expect(codes(res as never).sort()).toEqual(["publication_oauth_only", "redirect_uri_required"]);
  });

  it("opens a PENDING request with the notes and every critical field as the diff; the app stays PRIVATE", async () => {
    const app = await createApp(acme, complete("Ready app"));
    expect((await publication(acme, app.id))?.publicationReadiness).toEqual({ ready: true, missing: [] });
    const pending = (await requestPublication(acme, app.id, "Please list us")) as Extract<Awaited<ReturnType<typeof requestPublication>>, { __typename: "RequestPublicationSuccess" }>;
    expect(pending.__typename).toBe("RequestPublicationSuccess");
    const r = pending.publicationRequest;
    expect(r.id).toMatch(/^pub_/);
    expect(r).toMatchObject({ status: "PENDING", origin: "REQUESTED", notes: "Please list us", reason: null, application: { id: app.id, visibility: "PRIVATE" } });
    expect(r.changes.map((c) => c.field)).toEqual(["name", "logoUri", "redirectUris", "delegatedScopes", "onBehalfOfEnabled", "tokenExchange.enabled"]);
    expect(r.changes.find((c) => c.field === "delegatedScopes")).toMatchObject({ approved: null, proposed: [...APPROVED_SCOPES].sort() });
    // node(id:) resolves the pub_ id.
    const node = (await graphql(server.url, acme.token, PublicationRequestNodeDocument, { id: r.id })).data.node;
    expect(node).toMatchObject({ __typename: "PublicationRequest", id: r.id, status: "PENDING" });

    // A second request while one is pending: refused, with the reason among everything else missing.
    const again = await requestPublication(acme, app.id);
    expect(codes(again as never)).toEqual(["publication_pending"]);
    expect((await publication(acme, app.id))?.publicationReadiness.missing.map((m) => m.code)).toEqual(["publication_pending"]);
  });

  it("refuses notes longer than 2000 characters, and ids that are not publication requests", async () => {
    const app = await createApp(acme, complete("Verbose app"));
    expect(codes((await requestPublication(acme, app.id, "x".repeat(2001))) as never)).toEqual(["notes_length"]);
    expect((await approve(operator, app.id)).__typename).toBe("NotFoundError");
    expect((await approve(operator, "pub_nothere")).__typename).toBe("NotFoundError");
    expect((await requestPublication(acme, "pub_x")).__typename).toBe("NotFoundError");
  });

  it("opens one request of ten concurrent ones; the rest are publication_pending", async () => {
    const app = await createApp(acme, complete("Eager app"));
    const results = await Promise.all(Array.from({ length: 10 }, () => requestPublication(acme, app.id)));
    expect(results.filter((r) => r.__typename === "RequestPublicationSuccess")).toHaveLength(1);
    for (const r of results.filter((x) => x.__typename !== "RequestPublicationSuccess")) expect(codes(r as never)).toEqual(["publication_pending"]);
    const all = (await graphql(server.url, acme.token, PublicationRequestsDocument, { applicationId: app.id })).data.publicationRequests;
    expect(all).toHaveLength(1);
  });
});

describe("who sees and decides", () => {
  let appId: string;
  let requestId: string;
  beforeAll(async () => {
    appId = (await createApp(acme, complete("Reviewed app"))).id;
    requestId = requestOf(await requestPublication(acme, appId)).id;
  });

  it("operator ADMINs see every organization's pending requests; an organization only its own", async () => {
    const opQueue = (await graphql(server.url, operator.token, PublicationRequestsDocument, { status: "PENDING" })).data.publicationRequests;
    const mine = opQueue.find((r) => r.id === requestId);
    expect(mine).toMatchObject({ status: "PENDING", application: { id: appId, organization: { name: "Acme Corporation" } } });
    expect((await graphql(server.url, acme.token, PublicationRequestsDocument, { status: "PENDING" })).data.publicationRequests.map((r) => r.id)).toContain(requestId);
    expect((await graphql(server.url, globex.token, PublicationRequestsDocument, {})).data.publicationRequests).toEqual([]);
    expect((await graphql(server.url, globex.token, PublicationRequestNodeDocument, { id: requestId })).data.node).toBeNull();
  });

  it("another organization gets NotFoundError for every step on Acme's app and request", async () => {
    expect((await requestPublication(globex, appId)).__typename).toBe("NotFoundError");
    expect((await approve(globex, requestId)).__typename).toBe("NotFoundError");
    expect((await reject(globex, requestId, "no")).__typename).toBe("NotFoundError");
    expect((await withdraw(globex, requestId)).__typename).toBe("NotFoundError");
    expect((await unpublish(globex, appId)).__typename).toBe("NotFoundError");
  });

  it("the organization cannot decide its own request, and the operator cannot withdraw it", async () => {
    const own = await approve(acme, requestId);
    expect(own).toMatchObject({ __typename: "ForbiddenError", code: "forbidden", message: "only an ADMIN of the operator organization may approve this publication request" });
    expect(await reject(acme, requestId, "why not")).toMatchObject({ __typename: "ForbiddenError", code: "forbidden" });
    expect(await withdraw(operator, requestId)).toMatchObject({ __typename: "ForbiddenError", message: "only an ADMIN of the application's organization may withdraw this publication request" });
    expect((await publication(acme, appId))?.publicationRequest?.status).toBe("PENDING");
  });

  it("a token with only the read scope cannot request or decide", async () => {
    const reader = await bootstrapAdmin(server, "Readers", "connect.applications.read");
    expect((await graphql(server.url, reader.token, ApprovePublicationDocument, { input: { requestId } })).data.approvePublication.__typename).toBe("ForbiddenError");
  });
});

describe("the transitions", () => {
  it("PENDING -> REJECTED with a reason (required); the app stays PRIVATE and a new request may follow", async () => {
    const app = await createApp(acme, complete("Rejected app"));
    const first = requestOf(await requestPublication(acme, app.id));
    expect(codes((await reject(operator, first.id, "   ")) as never)).toEqual(["reason_required"]);
    expect(codes((await reject(operator, first.id, "r".repeat(2001))) as never)).toEqual(["reason_length"]);
    const rejected = requestOf(await reject(operator, first.id, "The logo is a placeholder"));
    expect(rejected).toMatchObject({ status: "REJECTED", reason: "The logo is a placeholder", application: { visibility: "PRIVATE" } });
    // The organization sees the outcome.
    const outcomes = (await graphql(server.url, acme.token, PublicationRequestsDocument, { status: "REJECTED", applicationId: app.id })).data.publicationRequests;
    expect(outcomes.map((r) => [r.id, r.reason])).toEqual([[first.id, "The logo is a placeholder"]]);
    // Decided is decided: no second decision, no withdrawal.
    expect(codes((await approve(operator, first.id)) as never)).toEqual(["publication_not_pending"]);
    expect(codes((await withdraw(acme, first.id)) as never)).toEqual(["publication_not_pending"]);
    const second = requestOf(await requestPublication(acme, app.id));
    expect(second.status).toBe("PENDING");
    expect((await publication(acme, app.id))?.publicationRequest?.id).toBe(second.id);
  });

  it("PENDING -> WITHDRAWN by the organization; withdrawing twice is refused; a new request may follow", async () => {
    const app = await createApp(acme, complete("Withdrawn app"));
    const pending = requestOf(await requestPublication(acme, app.id));
    expect(requestOf(await withdraw(acme, pending.id))).toMatchObject({ status: "WITHDRAWN", application: { visibility: "PRIVATE" } });
    expect(codes((await withdraw(acme, pending.id)) as never)).toEqual(["publication_not_pending"]);
    expect(codes((await approve(operator, pending.id)) as never)).toEqual(["publication_not_pending"]);
    expect(requestOf(await requestPublication(acme, app.id)).status).toBe("PENDING");
  });

  it("PENDING -> APPROVED: the app is PUBLIC with its critical fields as the approved revision; unchanged, there is nothing to review", async () => {
    const app = await createApp(acme, complete("Approved app"));
    const pending = requestOf(await requestPublication(acme, app.id));
    const approved = requestOf(await approve(operator, pending.id));
    expect(approved).toMatchObject({ status: "APPROVED", reason: null, application: { id: app.id, visibility: "PUBLIC" } });
    const state = await publication(acme, app.id);
    expect(state?.approvedRevision).toEqual({
      name: "Approved app",
      logoUri: "https://client.example.test/logo.png",
      redirectUris: [CALLBACK],
      delegatedScopes: [...APPROVED_SCOPES].sort(),
      onBehalfOfEnabled: false,
      tokenExchangeEnabled: false,
    });
    expect(codes((await approve(operator, pending.id)) as never)).toEqual(["publication_not_pending"]);
    expect(codes((await reject(operator, pending.id, "too late")) as never)).toEqual(["publication_not_pending"]);
    expect(codes((await requestPublication(acme, app.id)) as never)).toEqual(["publication_nothing_to_review"]);
  });

  it("refuses an approval whose revisionDigest is not the current revision: a change made after the reviewer looked is not approved unseen", async () => {
    const app = await createApp(acme, complete("Looked-at app"));
    const seen = requestOf(await requestPublication(acme, app.id)) as unknown as { id: string; revisionDigest: string };
    expect(seen.revisionDigest).toMatch(/^[\w-]{22}$/);
    // The organization adds a redirect URI while the reviewer reads the diff.
    const changed = await graphql(server.url, acme.token, UpdateApplicationDocument, {
      input: { id: app.id, redirectUris: [{ uri: CALLBACK }, { uri: "https://client.example.test/sneaky" }] },
    });
    expect(changed.data.updateConnectApplication.__typename).toBe("UpdateConnectApplicationSuccess");
    const stale = await graphql(server.url, operator.token, ApprovePublicationDocument, { input: { requestId: seen.id, revisionDigest: seen.revisionDigest } });
    expect(codes(stale.data.approvePublication as never)).toEqual(["publication_changed_since_review"]);
    expect((await publication(acme, app.id))?.visibility).toBe("PRIVATE");
    // The request followed the change; its new digest approves exactly what is now shown.
    const fresh = (await graphql(server.url, operator.token, PublicationRequestNodeDocument, { id: seen.id })).data.node as unknown as { revisionDigest: string };
    expect(fresh.revisionDigest).not.toBe(seen.revisionDigest);
    const approved = await graphql(server.url, operator.token, ApprovePublicationDocument, { input: { requestId: seen.id, revisionDigest: fresh.revisionDigest } });
    expect(requestOf(approved.data.approvePublication).application.visibility).toBe("PUBLIC");
    expect((await publication(acme, app.id))?.approvedRevision?.redirectUris).toEqual([CALLBACK, "https://client.example.test/sneaky"]);
  });

  it("unpublish: PUBLIC -> PRIVATE (owner or operator); a PRIVATE app cannot be unpublished", async () => {
    const app = await publishedApp("Unpublished app");
    const res = await unpublish(operator, app.id);
    if (res.__typename !== "UnpublishApplicationSuccess") throw new Error(JSON.stringify(res));
    expect(res.application).toEqual({ id: app.id, visibility: "PRIVATE", approvedRevision: null });
    expect(codes((await unpublish(acme, app.id)) as never)).toEqual(["application_not_public"]);
    const again = await publishedApp("Unpublished by owner");
    expect((await unpublish(acme, again.id)).__typename).toBe("UnpublishApplicationSuccess");
  });

  it("every step is an audit event with public ids and nothing secret", async () => {
    const app = await createApp(acme, complete("Audited app"));
    const first = requestOf(await requestPublication(acme, app.id, "first try"));
    await reject(operator, first.id, "needs a real logo");
    const second = requestOf(await requestPublication(acme, app.id));
    await withdraw(acme, second.id);
    const third = requestOf(await requestPublication(acme, app.id));
    await approve(operator, third.id);
    await graphql(server.url, acme.token, GrantScopesDocument, { input: { applicationId: app.id, scopes: [NEW_SCOPE], kind: "DELEGATED" } });
    await unpublish(acme, app.id);
    const events = (await graphql(server.url, acme.token, AuditEventsDocument, { first: 200 })).data.auditEvents.edges
      .map((e) => e.node)
      .filter((e) => e.action.startsWith("publication.") && JSON.parse(e.details).applicationId === app.id)
      .reverse();
    expect(events.map((e) => e.action)).toEqual([
      "publication.requested",
      "publication.rejected",
      "publication.requested",
      "publication.withdrawn",
      "publication.requested",
      "publication.approved",
      "publication.requested", // the new scope opened a review of the PUBLIC app
      "publication.unpublished", // which unpublishing withdrew
    ]);
    for (const e of events) {
      expect(e.targetType).toBe("publication");
      expect(e.targetId).toMatch(/^pub_/);
      expect(e.details).not.toContain(app.secret);
      expect(e.details).not.toContain(acme.clientSecret);
    }
    expect(events.find((e) => e.action === "publication.rejected")?.actorId).toBe(operator.clientId);
    expect(JSON.parse(events[6]!.details)).toMatchObject({ origin: "CRITICAL_CHANGE", fields: ["delegatedScopes"] });
  });

  it("the README's diagram is the transition table", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(publicationStateDiagram());
    expect(Object.keys(PUBLICATION_TRANSITIONS)).toEqual(["request", "criticalChange", "approve", "reject", "withdraw", "unpublish"]);
  });
});

describe("the approved revision", () => {
  it("a cosmetic change applies at once and opens no review", async () => {
    const app = await publishedApp("Cosmetic app");
    const updated = await graphql(server.url, acme.token, UpdateApplicationDocument, {
      input: { id: app.id, description: "Now with charts.", termsOfServiceUri: "https://client.example.test/terms-v2", privacyPolicyUri: "https://client.example.test/privacy-v2" },
    });
    expect(updated.data.updateConnectApplication.__typename).toBe("UpdateConnectApplicationSuccess");
    expect((await publication(acme, app.id))?.publicationRequest?.status).toBe("APPROVED");
  });

  it("a change to a critical field opens one PENDING review showing the diff; undoing it withdraws the review", async () => {
    const app = await publishedApp("Critical app");
    await graphql(server.url, acme.token, GrantScopesDocument, { input: { applicationId: app.id, scopes: [NEW_SCOPE], kind: "DELEGATED" } });
    await graphql(server.url, acme.token, UpdateApplicationDocument, { input: { id: app.id, redirectUris: [{ uri: CALLBACK, default: true }, { uri: NEW_CALLBACK }] } });
    const state = await publication(acme, app.id);
    expect(state?.visibility).toBe("PUBLIC");
    expect(state?.publicationRequests.filter((r) => r.status === "PENDING")).toHaveLength(1);
    const review = state?.publicationRequest;
    expect(review).toMatchObject({ status: "PENDING", origin: "CRITICAL_CHANGE" });
    expect(review?.changes).toEqual([
      { field: "redirectUris", approved: [CALLBACK], proposed: [CALLBACK, NEW_CALLBACK], added: [NEW_CALLBACK], removed: [] },
      { field: "delegatedScopes", approved: [...APPROVED_SCOPES].sort(), proposed: [...APPROVED_SCOPES, NEW_SCOPE].sort(), added: [NEW_SCOPE], removed: [] },
    ]);
    // The approved revision is untouched until the review is decided.
    expect(state?.approvedRevision?.delegatedScopes).toEqual([...APPROVED_SCOPES].sort());

    await graphql(server.url, acme.token, RevokeScopesDocument, { input: { applicationId: app.id, scopes: [NEW_SCOPE], kind: "DELEGATED" } });
    await graphql(server.url, acme.token, UpdateApplicationDocument, { input: { id: app.id, redirectUris: [{ uri: CALLBACK }] } });
    const undone = await publication(acme, app.id);
    expect(undone?.publicationRequest).toMatchObject({ status: "WITHDRAWN", origin: "CRITICAL_CHANGE" });
    expect(undone?.publicationReadiness.missing.map((m) => m.code)).toEqual(["publication_nothing_to_review"]);
  });

  it("approving the review makes the change the approved revision; rejecting it keeps the old one", async () => {
    const app = await publishedApp("Reviewed change app");
    await graphql(server.url, acme.token, UpdateApplicationDocument, { input: { id: app.id, name: "Reviewed change app v2" } });
    const review = (await publication(acme, app.id))!.publicationRequest!;
    expect(review.changes).toEqual([{ field: "name", approved: ["Reviewed change app"], proposed: ["Reviewed change app v2"], added: ["Reviewed change app v2"], removed: ["Reviewed change app"] }]);
    requestOf(await reject(operator, review.id, "Keep the name"));
    expect((await publication(acme, app.id))).toMatchObject({ visibility: "PUBLIC", approvedRevision: { name: "Reviewed change app" } });
    // A new request may follow; approved, the change becomes what everyone gets.
    const again = requestOf(await requestPublication(acme, app.id, "Renamed for the launch"));
    requestOf(await approve(operator, again.id));
    expect((await publication(acme, app.id))).toMatchObject({ visibility: "PUBLIC", approvedRevision: { name: "Reviewed change app v2" } });
  });
});

/** Concurrent decisions decide once, on each database this machine runs. */
describe.each(["sqlite", "postgresql"] as const)("20 concurrent decisions on %s", (provider) => {
  let own: TestServer;
  let op: Admin;
  let org: Admin;
  beforeAll(async () => {
    own = await startTestServer({ database: await createTestDatabase({ provider }) });
    op = await bootstrapAdmin(own, "Operators");
    org = await bootstrapAdmin(own, "Racing Org");
  });
  afterAll(async () => {
    await own?.close();
    await own?.database.drop();
  });

  it("exactly one of 20 concurrent approve/reject wins; the rest are publication_not_pending; one decision event", async () => {
    for (let round = 0; round < 3; round++) {
      const created = (
        await graphql(own.url, org.token, CreateApplicationDocument, {
          input: { ...complete(`Race ${round}`), applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: org.organizationId, redirectUris: [{ uri: CALLBACK }] } as CreateConnectApplicationInput,
        })
      ).data.createConnectApplication;
      if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
      const pending = (await graphql(own.url, org.token, RequestPublicationDocument, { input: { applicationId: created.application.id } })).data.requestPublication;
      const requestId = requestOf(pending).id;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? graphql(own.url, op.token, ApprovePublicationDocument, { input: { requestId } }).then((r) => r.data.approvePublication)
            : graphql(own.url, op.token, RejectPublicationDocument, { input: { requestId, reason: `no ${i}` } }).then((r) => r.data.rejectPublication),
        ),
      );
      const winners: { __typename: string }[] = results.filter((r) => r.__typename === "ApprovePublicationSuccess" || r.__typename === "RejectPublicationSuccess");
      expect(winners).toHaveLength(1);
      for (const r of results.filter((x) => !winners.includes(x))) expect(codes(r as never)).toEqual(["publication_not_pending"]);
      const won = requestOf(winners[0]!);
      const final = (await graphql(own.url, org.token, ApplicationPublicationDocument, { id: created.application.id })).data.application!;
      expect(final.publicationRequest?.status).toBe(won.status);
      expect(final.visibility).toBe(won.status === "APPROVED" ? "PUBLIC" : "PRIVATE");
      const decisions = (await graphql(own.url, org.token, AuditEventsDocument, { first: 200 })).data.auditEvents.edges.filter(
        (e) => (e.node.action === "publication.approved" || e.node.action === "publication.rejected") && e.node.targetId === requestId,
      );
      expect(decisions).toHaveLength(1);
    }
  }, 60_000);
});

/** Signs in through the pages with a fetch-based browser and returns the final redirect to the client. */
async function codeThroughPages(app: { clientId: string }, who: { email: string; password: string }, scope: string, redirectUri = CALLBACK) {
  const agent = new Agent(server.url);
  const { verifier, challenge } = pkcePair();
  const path = authorizePath({ response_type: "code", client_id: app.clientId, redirect_uri: redirectUri, scope, state: "s", nonce: "n", code_challenge: challenge, code_challenge_method: "S256" });
  const start = await agent.request(path);
  const login = await agent.login(who.email, who.password, start.location!);
  let res = await agent.request(login.location!);
  if (res.status === 200 && res.text.includes('name="decision"')) res = await agent.request("/oauth/authorize", { form: { ...Agent.formFields(res.text), decision: "approve" } });
  return { res, verifier };
}

async function tokensFor(app: { clientId: string; secret: string }, code: string, verifier: string) {
  return postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier }, basic(app.clientId, app.secret));
}

describe("at /oauth/token, outsiders get the approved revision", () => {
  it("a scope revoked under review still reaches an outsider's refreshed token, and no longer a member's", async () => {
    const app = await publishedApp("Token revision app");
    const scope = "openid email knowledge.portalmgr.read offline_access";
    await graphql(server.url, acme.token, GrantScopesDocument, { input: { applicationId: app.id, scopes: ["offline_access"], kind: "DELEGATED" } });
    // offline_access is a critical change too: approve it so both start from the same revision.
    const review = (await publication(acme, app.id))!.publicationRequest!;
    requestOf(await approve(operator, review.id));
    const refreshOf = async (who: typeof member) => {
      const { res, verifier } = await codeThroughPages(app, who, scope);
      const code = new URL(res.location!).searchParams.get("code")!;
      const tokens = await tokensFor(app, code, verifier);
      expect(tokens.status).toBe(200);
      return tokens.body.refresh_token as string;
    };
    const outsiderRefresh = await refreshOf(outsider);
    const memberRefresh = await refreshOf(member);
    await graphql(server.url, acme.token, RevokeScopesDocument, { input: { applicationId: app.id, scopes: ["knowledge.portalmgr.read"], kind: "DELEGATED" } });
    const refresh = (token: string) => postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: token }, basic(app.clientId, app.secret));
    // Give the in-memory client view its moment: the change was made in this process, so it is invalidated at once.
    const forOutsider = await refresh(outsiderRefresh);
    expect(forOutsider.status).toBe(200);
    expect(String(forOutsider.body.scope).split(" ")).toContain("knowledge.portalmgr.read");
    const forMember = await refresh(memberRefresh);
    expect(forMember.status).toBe(200);
    expect(String(forMember.body.scope).split(" ")).not.toContain("knowledge.portalmgr.read");
  });

  it("unpublishing ends outsiders' consents and refresh tokens; members keep theirs", async () => {
    const app = await publishedApp("Unpublish tokens app");
    await graphql(server.url, acme.token, GrantScopesDocument, { input: { applicationId: app.id, scopes: ["offline_access"], kind: "DELEGATED" } });
    requestOf(await approve(operator, (await publication(acme, app.id))!.publicationRequest!.id));
    const scope = "openid email offline_access";
    const refreshOf = async (who: typeof member) => {
      const { res, verifier } = await codeThroughPages(app, who, scope);
      const tokens = await tokensFor(app, new URL(res.location!).searchParams.get("code")!, verifier);
      return { refresh: tokens.body.refresh_token as string, access: tokens.body.access_token as string };
    };
    const o = await refreshOf(outsider);
    const m = await refreshOf(member);
    const result = await unpublish(acme, app.id);
    expect(result.__typename).toBe("UnpublishApplicationSuccess");
    const refresh = (token: string) => postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: token }, basic(app.clientId, app.secret));
    expect((await refresh(o.refresh)).body.error).toBe("invalid_grant");
    expect((await refresh(m.refresh)).status).toBe(200);
    // The outsider's access token issued with the refresh token is revoked too.
    const introspect = await postForm(`${server.url}/oauth/introspect`, { token: o.access }, basic(app.clientId, app.secret));
    expect(introspect.body.active).toBe(false);
    const consents = await server.services.db.consent.findMany({ where: { applicationId: app.id.replace(/^app_/, "") }, select: { userId: true } });
    expect(consents.map((c) => c.userId)).toEqual([member.id]);
    const event = (await graphql(server.url, acme.token, AuditEventsDocument, { first: 50 })).data.auditEvents.edges.find(
      (e) => e.node.action === "publication.unpublished" && JSON.parse(e.node.details).applicationId === app.id,
    );
    expect(JSON.parse(event!.node.details)).toMatchObject({ consentsEnded: 1, refreshTokensRevoked: 1 });
    // And the outsider is back to the private application page.
    const { res } = await codeThroughPages(app, outsider, scope);
    expect(res.status).toBe(403);
  });
});

describe("on-behalf-of follows the approved revision for outsiders", () => {
  it("enabling on-behalf-of under review works for members' tokens, not outsiders', until approved", async () => {
    const OBO = "knowledge.portalmgr.onbehalfof.read";
    const app = await publishedApp("OBO app");
    const accessOf = async (who: typeof member) => {
      const { res, verifier } = await codeThroughPages(app, who, "openid email");
      const tokens = await tokensFor(app, new URL(res.location!).searchParams.get("code")!, verifier);
      return tokens.body.access_token as string;
    };
    const outsiderToken = await accessOf(outsider); // consents, so the app may act for them
    const memberToken = await accessOf(member);
    await graphql(server.url, acme.token, UpdateApplicationDocument, { input: { id: app.id, onBehalfOfEnabled: true } });
    const granted = await graphql(server.url, acme.token, GrantScopesDocument, { input: { applicationId: app.id, scopes: [OBO], kind: "DELEGATED" } });
    expect(granted.data.grantScopes.__typename).toBe("GrantScopesSuccess");
    const exchange = (subject: string) =>
      postForm(
        `${server.url}/oauth/token`,
        { grant_type: "urn:ietf:params:oauth:grant-type:token-exchange", subject_token: subject, subject_token_type: "urn:ietf:params:oauth:token-type:access_token", scope: OBO },
        basic(app.clientId, app.secret),
      );
    expect((await exchange(memberToken)).status).toBe(200);
    const refused = await exchange(outsiderToken);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("unauthorized_client");
    const review = (await publication(acme, app.id))!.publicationRequest!;
    expect(review.changes.map((c) => c.field)).toEqual(["delegatedScopes", "onBehalfOfEnabled"]);
    requestOf(await approve(operator, review.id));
    const allowed = await exchange(outsiderToken);
    expect(allowed.status).toBe(200);
    expect(allowed.body.scope).toBe(OBO);
  });
});

describeWithChromium("authorizing across organizations in Chromium", () => {
  let browser: Browser | null;
  beforeAll(async () => {
    browser = await launchChromium();
    await mkdir(OUTPUT, { recursive: true });
  });
  afterAll(async () => browser?.close());

  async function open(): Promise<Page> {
    const context = await browser!.newContext();
    const p = await context.newPage();
    await confineToLocalhost(p, (url) =>
      url.pathname.endsWith(".png")
        ? { contentType: "image/svg+xml", body: '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48" fill="#2b6cb0"/></svg>' }
        : { contentType: "text/html", body: "<h1>client callback</h1>" },
    );
    return p;
  }

  const authorizeUrl = (clientId: string, scope: string, redirectUri = CALLBACK) =>
    `${server.url}${authorizePath({ response_type: "code", client_id: clientId, redirect_uri: redirectUri, scope, state: "st", nonce: "n", code_challenge: pkcePair().challenge, code_challenge_method: "S256" })}`;

  async function signIn(p: Page, url: string, who: { email: string; password: string }) {
    await p.goto(url);
    await p.getByLabel("Email").fill(who.email);
    await p.getByLabel("Password").fill(who.password);
    await p.getByRole("button", { name: "Sign in", exact: true }).click();
    await p.waitForURL((u) => u.pathname === "/oauth/authorize" || u.hostname === "client.example.test");
  }

  it("refuses a member of another organization on a PRIVATE app", async () => {
    const app = await createApp(acme, complete("Private in Chromium"));
    const p = await open();
    await signIn(p, authorizeUrl(app.clientId, "openid email"), outsider);
    expect(await p.title()).toBe("This application is private");
    await p.context().close();
  });

  it("lets a member of another organization authorize a PUBLIC app, whose consent page says it is published and by whom", async () => {
    const app = await publishedApp("Published in Chromium");
    const p = await open();
    await signIn(p, authorizeUrl(app.clientId, "openid email"), outsider);
    expect(await p.title()).toBe("Authorize Published in Chromium");
    const main = p.locator("main");
    await expect.poll(() => main.textContent()).toContain("Published application");
    expect(await main.textContent()).toContain("Published by Acme Corporation");
    await p.screenshot({ path: `${OUTPUT}consent-published-application.png`, fullPage: true });
    await p.getByRole("button", { name: "Allow" }).click();
    await p.waitForURL((u) => u.hostname === "client.example.test");
    expect(new URL(p.url()).searchParams.get("code")).toBeTruthy();
    await p.context().close();
  });

  it("during a pending change, gives outsiders the approved revision and members the current one", async () => {
    const app = await publishedApp("Changing in Chromium");
    await graphql(server.url, acme.token, GrantScopesDocument, { input: { applicationId: app.id, scopes: [NEW_SCOPE], kind: "DELEGATED" } });
    await graphql(server.url, acme.token, UpdateApplicationDocument, {
      input: { id: app.id, name: "Changing in Chromium v2", redirectUris: [{ uri: CALLBACK, default: true }, { uri: NEW_CALLBACK }] },
    });
    expect((await publication(acme, app.id))?.publicationRequest?.status).toBe("PENDING");

    // An outsider asking for the new scope: invalid_scope, back at the approved redirect URI.
    const p = await open();
    await signIn(p, authorizeUrl(app.clientId, `openid ${NEW_SCOPE}`), outsider);
    await p.waitForURL((u) => u.hostname === "client.example.test");
    const denied = new URL(p.url());
    expect(`${denied.origin}${denied.pathname}`).toBe(CALLBACK);
    expect(denied.searchParams.get("error")).toBe("invalid_scope");
    expect(denied.searchParams.get("error_description")).toContain(NEW_SCOPE);

    // The new redirect URI does not exist for them: an error page, never a redirect there.
    await p.goto(authorizeUrl(app.clientId, "openid email", NEW_CALLBACK));
    expect(await p.title()).toBe("This sign-in link is not valid");
    expect(await p.locator("main").textContent()).toContain(NEW_CALLBACK);
    await p.screenshot({ path: `${OUTPUT}publication-new-redirect-refused.png`, fullPage: true });

    // The approved scopes work, under the approved name.
    await p.goto(authorizeUrl(app.clientId, "openid email"));
    expect(await p.title()).toBe("Authorize Changing in Chromium");
    await p.getByRole("button", { name: "Allow" }).click();
    await p.waitForURL((u) => u.hostname === "client.example.test");
    expect(new URL(p.url()).searchParams.get("code")).toBeTruthy();
    await p.context().close();

    // A member of Acme gets the current revision: the new scope, the new redirect URI, the new name.
    const q = await open();
    await signIn(q, authorizeUrl(app.clientId, `openid ${NEW_SCOPE}`, NEW_CALLBACK), member);
    expect(await q.title()).toBe("Authorize Changing in Chromium v2");
    expect(await q.locator(`[data-scope="${NEW_SCOPE}"]`).count()).toBe(1);
    await q.getByRole("button", { name: "Allow" }).click();
    await q.waitForURL((u) => u.hostname === "client.example.test");
    const granted = new URL(q.url());
    expect(`${granted.origin}${granted.pathname}`).toBe(NEW_CALLBACK);
    expect(granted.searchParams.get("code")).toBeTruthy();
    await q.context().close();
  });
});
