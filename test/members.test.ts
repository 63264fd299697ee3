// People in an organization over HTTP: invitations (one-time, hashed, 7 days), roles, the last
// ADMIN rule, removal ending sessions and refresh tokens, password-reset links, and a person's
// connected apps with revokeConsent. Every call is a person's console token at /graphql.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../src/crypto/random.ts";
import { publicId } from "../src/ids.ts";
import { CONSOLE_CLIENT_ID } from "../src/applications/console-client.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorize, pkcePair } from "./helpers/agent.ts";
import { postForm, graphqlData } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let acme: Admin;
const PASSWORD = "correct horse battery staple";

/** A person's access token for the console, through the real authorization code flow. */
async function consoleToken(email: string, password = PASSWORD): Promise<string> {
  const agent = new Agent(server.url);
  const pkce = pkcePair();
  const redirectUri = `${server.url}/console/callback`;
  const back = await authorize(
    agent,
    {
      response_type: "code",
      client_id: CONSOLE_CLIENT_ID,
      redirect_uri: redirectUri,
      scope: "openid connect.applications.read connect.applications.manage",
      state: "s",
      nonce: "n",
      code_challenge: pkce.challenge,
      code_challenge_method: "S256",
    },
    { email, password },
  );
  const token = await postForm(`${server.url}/oauth/token`, {
    grant_type: "authorization_code",
    code: back.searchParams.get("code")!,
    redirect_uri: redirectUri,
    client_id: CONSOLE_CLIENT_ID,
    code_verifier: pkce.verifier,
  });
  if (token.status !== 200) throw new Error(JSON.stringify(token.body));
  return String(token.body.access_token);
}

const gql = (token: string, query: string, variables: Record<string, unknown> = {}) => graphqlData(server.url, token, query, variables);

const RESULT = `__typename ... on Error { message } ... on ValidationError { fieldErrors { path message } }`;
const INVITE = `mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { ${RESULT} ... on InviteMemberSuccess { invitationUrl } } }`;
const UPDATE_ROLE = `mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { ${RESULT} } }`;
const REMOVE = `mutation ($input: RemoveMemberInput!) { removeMember(input: $input) { ${RESULT} } }`;
const RESET_LINK = `mutation ($input: CreatePasswordResetLinkInput!) { createPasswordResetLink(input: $input) { ${RESULT} ... on CreatePasswordResetLinkSuccess { resetUrl } } }`;
const MEMBERS = `query ($id: ID!) { organization(id: $id) { members { email role } } }`;

/** Fills and posts the form behind a one-time link, as a browser would. */
async function redeem(url: string, form: Record<string, string>) {
  const agent = new Agent(server.url);
  const page = await agent.request(url);
  if (page.status !== 200) return page;
  const path = new URL(url).pathname;
  return agent.request(path, { form: { ...Agent.formFields(page.text), ...form } });
}

let adminToken: string;
let ada: { id: string };

beforeAll(async () => {
  server = await startTestServer();
  acme = await bootstrapAdmin(server, "Acme");
  ada = await createUser(server, acme.organizationDbId, "ada@acme.example", PASSWORD, "ADMIN");
  adminToken = await consoleToken("ada@acme.example");
}, 120_000);
afterAll(async () => server?.close());

describe("inviteMember", () => {
  it("returns a one-time link whose token is stored only as a hash; the person sets a password and joins with the role", async () => {
    const data = await gql(adminToken, INVITE, { input: { organizationId: acme.organizationId, email: "Nia@Acme.example", role: "MEMBER" } });
    expect(data.inviteMember.__typename).toBe("InviteMemberSuccess");
    const url = new URL(data.inviteMember.invitationUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${server.url}/oauth/invitation`);
    const token = url.searchParams.get("token")!;
    const row = await server.services.db.invitation.findUniqueOrThrow({ where: { tokenHash: sha256(token) } });
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeGreaterThan(6.9 * 86_400_000);
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeLessThanOrEqual(7 * 86_400_000 + 5000);

    const short = await redeem(url.toString(), { password: "short", confirm: "short" });
    expect(short.status).toBe(400);
    expect(short.text).toContain("at least 10 characters");

    const joined = await redeem(url.toString(), { name: "Nia", password: "a long enough password", confirm: "a long enough password" });
    expect(joined.status).toBe(200);
    expect(await server.services.passwordLogin.verify("nia@acme.example", "a long enough password", "127.0.0.9")).not.toBeNull();
    const members = (await gql(adminToken, MEMBERS, { id: acme.organizationId })).organization.members;
    expect(members).toContainEqual({ email: "nia@acme.example", role: "MEMBER" });
    const audit = await server.services.db.auditEvent.findMany({ where: { action: { in: ["invitation.created", "membership.joined"] } } });
    expect(audit.map((e) => e.action).sort()).toEqual(["invitation.created", "membership.joined"]);
    expect(audit.map((e) => e.details).join()).not.toContain(token);

    // Single use: the same link, again, is gone.
    const again = await redeem(url.toString(), { password: "another long password", confirm: "another long password" });
    expect(again.status).toBe(410);
    expect(await server.services.passwordLogin.verify("nia@acme.example", "another long password", "127.0.0.9")).toBeNull();
  });

  it("refuses an expired link after 7 days, and a bad email or a current member as ValidationErrors", async () => {
    const data = await gql(adminToken, INVITE, { input: { organizationId: acme.organizationId, email: "late@acme.example", role: "ADMIN" } });
    const url = data.inviteMember.invitationUrl as string;
    const token = new URL(url).searchParams.get("token")!;
    await server.services.db.invitation.update({ where: { tokenHash: sha256(token) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const late = await redeem(url, { password: "a long enough password", confirm: "a long enough password" });
    expect(late.status).toBe(410);
    expect(await server.services.db.user.count({ where: { email: "late@acme.example" } })).toBe(0);

    const bad = await gql(adminToken, INVITE, { input: { organizationId: acme.organizationId, email: "not an email", role: "MEMBER" } });
    expect(bad.inviteMember.__typename).toBe("ValidationError");
    expect(bad.inviteMember.fieldErrors[0].path).toEqual(["email"]);
    const dup = await gql(adminToken, INVITE, { input: { organizationId: acme.organizationId, email: "ada@acme.example", role: "MEMBER" } });
    expect(dup.inviteMember.__typename).toBe("ValidationError");
  });

  it("is for ADMINs of that organization only", async () => {
    await createUser(server, acme.organizationDbId, "max@acme.example", PASSWORD, "MEMBER");
    const memberToken = await consoleToken("max@acme.example");
    const data = await gql(memberToken, INVITE, { input: { organizationId: acme.organizationId, email: "x@acme.example", role: "ADMIN" } });
    expect(["ForbiddenError", "NotFoundError"]).toContain(data.inviteMember.__typename);
    const globex = await bootstrapAdmin(server, "Globex");
    const other = await gql(adminToken, INVITE, { input: { organizationId: globex.organizationId, email: "x@acme.example", role: "ADMIN" } });
    expect(other.inviteMember.__typename).toBe("NotFoundError");
    expect(await server.services.db.invitation.count({ where: { email: "x@acme.example" } })).toBe(0);
  });
});

describe("roles and removal", () => {
  it("never removes or demotes the last ADMIN", async () => {
    const adaId = publicId("User", ada.id);
    const demote = await gql(adminToken, UPDATE_ROLE, { input: { organizationId: acme.organizationId, userId: adaId, role: "MEMBER" } });
    expect(demote.updateMemberRole.__typename).toBe("ValidationError");
    expect(demote.updateMemberRole.message).toMatch(/last ADMIN/);
    const remove = await gql(adminToken, REMOVE, { input: { organizationId: acme.organizationId, userId: adaId } });
    expect(remove.removeMember.__typename).toBe("ValidationError");
    const role = await server.services.db.membership.findFirstOrThrow({ where: { userId: ada.id } });
    expect(role.role).toBe("ADMIN");
  });

  it("promotes a member, and removing one ends their sessions and refresh tokens for the organization's apps", async () => {
    const zoe = await createUser(server, acme.organizationDbId, "zoe@acme.example", PASSWORD, "MEMBER");
    const zoeId = publicId("User", zoe.id);
    const promoted = await gql(adminToken, UPDATE_ROLE, { input: { organizationId: acme.organizationId, userId: zoeId, role: "ADMIN" } });
    expect(promoted.updateMemberRole.__typename).toBe("UpdateMemberRoleSuccess");

    const db = server.services.db;
    const app = await db.connectApplication.findFirstOrThrow({ where: { organizationId: acme.organizationDbId } });
    await db.session.create({ data: { tokenHash: "zoe-session", userId: zoe.id, expiresAt: new Date(Date.now() + 3600_000) } });
    await db.refreshToken.create({
      data: {
        tokenHash: "zoe-refresh",
        familyId: "zoe-family",
        applicationId: app.id,
        userId: zoe.id,
        scopes: "openid offline_access",
        authTime: new Date(),
        accessTokenId: "zoe-jti",
        accessExpiresAt: new Date(Date.now() + 600_000),
        expiresAt: new Date(Date.now() + 86_400_000),
      },
    });
    const removed = await gql(adminToken, REMOVE, { input: { organizationId: acme.organizationId, userId: zoeId } });
    expect(removed.removeMember.__typename).toBe("RemoveMemberSuccess");
    expect(await db.membership.count({ where: { userId: zoe.id } })).toBe(0);
    expect(await db.session.count({ where: { userId: zoe.id } })).toBe(0);
    expect((await db.refreshToken.findUniqueOrThrow({ where: { tokenHash: "zoe-refresh" } })).revokedAt).not.toBeNull();
    expect(await db.revokedAccessToken.count({ where: { jti: "zoe-jti" } })).toBe(1);
    expect(await db.auditEvent.count({ where: { action: "membership.removed", targetId: publicId("User", zoe.id) } })).toBe(1);
  });

  it("makes a one-time password-reset link that sets a new password and ends the member's sessions", async () => {
    const leo = await createUser(server, acme.organizationDbId, "leo@acme.example", PASSWORD, "MEMBER");
    await server.services.db.session.create({ data: { tokenHash: "leo-session", userId: leo.id, expiresAt: new Date(Date.now() + 3600_000) } });
    const data = await gql(adminToken, RESET_LINK, { input: { organizationId: acme.organizationId, userId: publicId("User", leo.id) } });
    expect(data.createPasswordResetLink.__typename).toBe("CreatePasswordResetLinkSuccess");
    const done = await redeem(data.createPasswordResetLink.resetUrl, { password: "a brand new password", confirm: "a brand new password" });
    expect(done.status).toBe(200);
    expect(await server.services.passwordLogin.verify("leo@acme.example", "a brand new password", "127.0.0.8")).not.toBeNull();
    expect(await server.services.db.session.count({ where: { userId: leo.id } })).toBe(0);
    const again = await redeem(data.createPasswordResetLink.resetUrl, { password: "yet another password", confirm: "yet another password" });
    expect(again.status).toBe(410);
  });
});

describe("connected apps", () => {
  it("lists a person's consents, and revokeConsent forgets one, ends its refresh tokens, and the next authorization asks again", async () => {
    const db = server.services.db;
    const app = await db.connectApplication.create({
      data: {
        clientId: "connected-app",
        name: "Connected App",
        applicationType: "OAUTH",
        platform: "WEB",
        organizationId: acme.organizationDbId,
        redirectUris: { create: [{ uri: "https://client.example.test/cb", isDefault: true, kind: "REDIRECT", position: 0 }] },
        scopeGrants: { create: [{ scope: "openid", kind: "DELEGATED" }] },
      },
    });
    const kim = await createUser(server, acme.organizationDbId, "kim@acme.example", PASSWORD, "MEMBER");
    const agent = new Agent(server.url);
    const params = { response_type: "code", client_id: "connected-app", redirect_uri: "https://client.example.test/cb", scope: "openid", state: "s", nonce: "n", code_challenge: pkcePair().challenge, code_challenge_method: "S256" };
    await authorize(agent, params, { email: "kim@acme.example", password: PASSWORD });
    await db.refreshToken.create({
      data: { tokenHash: "kim-refresh", familyId: "kim", applicationId: app.id, userId: kim.id, scopes: "openid offline_access", authTime: new Date(), accessTokenId: "kim-jti", accessExpiresAt: new Date(Date.now() + 600_000), expiresAt: new Date(Date.now() + 86_400_000) },
    });

    const kimToken = await consoleToken("kim@acme.example");
    const listed = await gql(kimToken, `{ viewer { connectedApplications { application { id clientId name logoUri } scopes grantedAt } } }`);
    const connected = listed.viewer.connectedApplications.find((c: any) => c.application.clientId === "connected-app");
    expect(connected).toMatchObject({ application: { id: publicId("ConnectApplication", app.id), name: "Connected App", logoUri: null }, scopes: ["openid"] });

    const revoke = `mutation ($id: ID!) { revokeConsent(input: { applicationId: $id }) { ${RESULT} } }`;
    const done = await gql(kimToken, revoke, { id: connected.application.id });
    expect(done.revokeConsent.__typename).toBe("RevokeConsentSuccess");
    expect(await db.consent.count({ where: { userId: kim.id, applicationId: app.id } })).toBe(0);
    expect((await db.refreshToken.findUniqueOrThrow({ where: { tokenHash: "kim-refresh" } })).revokedAt).not.toBeNull();
    const twice = await gql(kimToken, revoke, { id: connected.application.id });
    expect(twice.revokeConsent.__typename).toBe("NotFoundError");

    // The browser is still signed in; the app must ask for consent again.
    const res = await agent.request(`/oauth/authorize?${new URLSearchParams(params).toString()}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('name="decision"');
  });
});
