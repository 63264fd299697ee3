// Secrets never reach a log line: a run at LOG_LEVEL=trace that creates, uses and revokes a
// client secret, signs a person in with a password, redeems a code, rotates a refresh token and
// makes an invitation link, registers, reads, updates and deletes a client dynamically (RFC
// 7591/7592), then searches every captured line for each of those values.
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { basic, postForm } from "./helpers/http.ts";
import { PERSON_CALLBACK, personToken } from "./helpers/people.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let admin: Admin;
const lines: string[] = [];

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({ query, variables }),
  });
  return ((await res.json()) as { data: Record<string, any> }).data;
}

beforeAll(async () => {
  const stream = new PassThrough();
  stream.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n").filter(Boolean)));
  server = await startTestServer({ env: { LOG_LEVEL: "trace" }, logStream: stream });
  admin = await bootstrapAdmin(server, "Quiet");
});
afterAll(async () => server?.close());

it("logs none of the secrets, passwords, codes, tokens and links a run creates and uses", async () => {
  const secrets: string[] = [admin.clientSecret, admin.token];

  const created = await gql(
    `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { ... on CreateConnectApplicationSuccess { application { id clientId } } } }`,
    { i: { name: "Quiet web", applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: admin.organizationId, redirectUris: [{ uri: PERSON_CALLBACK }] } },
  );
  const app = created.createConnectApplication.application as { id: string; clientId: string };
  await gql(`mutation($i: GrantScopesInput!) { grantScopes(input: $i) { __typename } }`, {
    i: { applicationId: app.id, scopes: ["openid", "offline_access", "email"], kind: "DELEGATED" },
  });
  const added = await gql(`mutation($i: AddClientSecretInput!) { addClientSecret(input: $i) { ... on AddClientSecretSuccess { plaintext clientSecret { id } } } }`, {
    i: { applicationId: app.id, description: "logged?" },
  });
  const clientSecret = added.addClientSecret.plaintext as string;
  secrets.push(clientSecret);

  // A person signs in with a password, the code is redeemed, the refresh token rotated.
  const person = { email: "quiet@quiet.test", password: "a quiet passphrase 42" };
  await createUser(server, admin.organizationDbId, person.email, person.password, "MEMBER");
  secrets.push(person.password);
  const first = await personToken(server, { ...app, secret: clientSecret }, person, "openid email offline_access");
  secrets.push(first.accessToken, String(first.body.refresh_token), String(first.body.id_token));
  const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: String(first.body.refresh_token) }, basic(app.clientId, clientSecret));
  expect(refreshed.status).toBe(200);
  secrets.push(String(refreshed.body.access_token), String(refreshed.body.refresh_token));
  // A wrong secret and a wrong password are not logged either.
  const wrongSecret = `${clientSecret.slice(0, -6)}XXXXXX`;
  expect((await postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "openid" }, basic(app.clientId, wrongSecret))).status).toBe(401);
  secrets.push(wrongSecret);
  await fetch(`${server.url}/oauth/introspect`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...basic(app.clientId, clientSecret) },
    body: new URLSearchParams({ token: first.accessToken }).toString(),
  });
  await postForm(`${server.url}/oauth/revoke`, { token: String(refreshed.body.refresh_token) }, basic(app.clientId, clientSecret));

  // An invitation link carries a one-time token.
  const invited = await gql(`mutation($i: InviteMemberInput!) { inviteMember(input: $i) { ... on InviteMemberSuccess { invitationUrl } } }`, {
    i: { organizationId: admin.organizationId, email: "new@quiet.test", role: "MEMBER" },
  });
  const invitationUrl = invited.inviteMember.invitationUrl as string;
  const invitationToken = new URL(invitationUrl).searchParams.get("token") ?? invitationUrl.split("/").pop()!;
  secrets.push(invitationToken);
  await fetch(invitationUrl);

  // Dynamic registration: the initial access token, the client secret it returns, and the
  // registration access token, first and rotated, presented at every RFC 7592 door.
  const iat = await gql(`mutation($i: CreateRegistrationTokenInput!) { createRegistrationToken(input: $i) { ... on CreateRegistrationTokenSuccess { plaintext } } }`, {
    i: { organizationId: admin.organizationId, maxUses: 2 },
  });
  const initialAccessToken = iat.createRegistrationToken.plaintext as string;
  secrets.push(initialAccessToken);
  const json = (method: string, url: string, token: string, body?: unknown) =>
    fetch(url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const metadata = { client_name: "Quiet partner", redirect_uris: [PERSON_CALLBACK], grant_types: ["authorization_code"], response_types: ["code"] };
  const registeredRes = await json("POST", `${server.url}/oauth/register`, initialAccessToken, metadata);
  expect(registeredRes.status).toBe(201);
  const registered = (await registeredRes.json()) as { client_secret: string; registration_access_token: string; registration_client_uri: string };
  secrets.push(registered.client_secret, registered.registration_access_token);
  const registeredClient = (await (await json("GET", registered.registration_client_uri, registered.registration_access_token)).json()) as { client_id: string };
  const put = await json("PUT", registered.registration_client_uri, registered.registration_access_token, { ...metadata, client_id: registeredClient.client_id, client_name: "Quiet partner 2" });
  expect(put.status).toBe(200);
  const updated = (await put.json()) as { registration_access_token: string };
  secrets.push(updated.registration_access_token);
  expect((await json("GET", registered.registration_client_uri, registered.registration_access_token)).status).toBe(401);
  expect((await json("DELETE", registered.registration_client_uri, updated.registration_access_token)).status).toBe(204);

  await gql(`mutation($i: RevokeClientSecretInput!) { revokeClientSecret(input: $i) { __typename } }`, { i: { id: added.addClientSecret.clientSecret.id } });
  await new Promise((r) => setTimeout(r, 200));

  expect(lines.length).toBeGreaterThan(20);
  const all = lines.join("\n");
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(all.includes(secret), `a log line contains ${secret.slice(0, 12)}…`).toBe(false);
  }
  // The secret's random part alone (after sk_<id>_) does not appear either.
  // (base64url may itself hold "_": cut after the id, never at the last "_", or a short tail
  // such as "a" is looked for and found by chance)
  const randomPart = clientSecret.slice(clientSecret.indexOf("_", "sk_".length) + 1);
  expect(randomPart).toHaveLength(43);
  expect(all.includes(randomPart)).toBe(false);

  // Nor does any audit event of the run.
  const trail = JSON.stringify(await server.services.db.auditEvent.findMany());
  expect(trail.length).toBeGreaterThan(500);
  for (const secret of secrets) expect(trail.includes(secret), `an audit event contains ${secret.slice(0, 12)}…`).toBe(false);
});
