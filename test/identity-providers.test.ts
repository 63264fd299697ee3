// Identity providers through GraphQL: ADMINs of an organization register, change, link and
// remove them; other organizations see nothing; every change is an audit event.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkProviderUrl } from "../src/applications/identity-providers.ts";
import { publicId } from "../src/ids.ts";
import {
  AuditEventsDocument,
  IdentityProvidersDocument,
  LinkExternalIdentityDocument,
  RegisterIdentityProviderDocument,
  RemoveIdentityProviderDocument,
  UpdateIdentityProviderDocument,
} from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { graphql } from "./helpers/http.ts";
import { consoleToken } from "./helpers/people.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let acme: Admin;
let other: Admin;
let readOnly: Admin;

const input = (organizationId: string, extra: Record<string, unknown> = {}) => ({
  organizationId,
  name: "Okta",
  issuer: "https://acme.okta.example",
  jwksUri: "https://acme.okta.example/oauth2/v1/keys",
  audience: "api://scopekeeper",
  subjectMapping: "EMAIL" as const,
  ...extra,
});

async function register(admin: Admin, extra: Record<string, unknown> = {}) {
  const res = await graphql(server.url, admin.token, RegisterIdentityProviderDocument, { input: input(admin.organizationId, extra) as never });
  return res.data.registerIdentityProvider;
}

beforeAll(async () => {
  server = await startTestServer();
  acme = await bootstrapAdmin(server, "Acme");
  other = await bootstrapAdmin(server, "Other");
  readOnly = await bootstrapAdmin(server, "Readers", "connect.applications.read");
});

afterAll(async () => {
  await server?.close();
});

describe("identity providers", () => {
  it("registers, lists, updates and removes a provider, each change an audit event", async () => {
    const created = await register(acme);
    if (created.__typename !== "RegisterIdentityProviderSuccess") throw new Error(JSON.stringify(created));
    const provider = created.identityProvider;
    expect(provider).toMatchObject({ name: "Okta", issuer: "https://acme.okta.example", subjectMapping: "EMAIL", clockSkewSeconds: 60, organizationId: acme.organizationId });
    expect(provider.id).toMatch(/^idp_/);

    const listed = await graphql(server.url, acme.token, IdentityProvidersDocument, { organizationId: acme.organizationId });
    expect(listed.data.identityProviders.map((p) => p.id)).toEqual([provider.id]);
    const all = await graphql(server.url, acme.token, IdentityProvidersDocument, {});
    expect(all.data.identityProviders.map((p) => p.id)).toEqual([provider.id]);

    const updated = await graphql(server.url, acme.token, UpdateIdentityProviderDocument, {
      input: { id: provider.id, name: "Okta (prod)", jwksUri: null, subjectMapping: "SUB", clockSkewSeconds: 30 },
    });
    const u = updated.data.updateIdentityProvider;
    if (u.__typename !== "UpdateIdentityProviderSuccess") throw new Error(JSON.stringify(u));
    expect(u.identityProvider).toMatchObject({ name: "Okta (prod)", jwksUri: null, subjectMapping: "SUB", clockSkewSeconds: 30, audience: "api://scopekeeper" });

    const member = await createUser(server, acme.organizationDbId, "dana@acme.test");
    const linked = await graphql(server.url, acme.token, LinkExternalIdentityDocument, {
      input: { identityProviderId: provider.id, subject: "00u1dana", userId: publicId("User", member.id) },
    });
    expect(linked.data.linkExternalIdentity).toMatchObject({ __typename: "LinkExternalIdentitySuccess", subject: "00u1dana", userId: publicId("User", member.id) });

    const removed = await graphql(server.url, acme.token, RemoveIdentityProviderDocument, { id: provider.id });
    expect(removed.data.removeIdentityProvider).toMatchObject({ __typename: "RemoveIdentityProviderSuccess", removedId: provider.id });
    expect((await graphql(server.url, acme.token, IdentityProvidersDocument, {})).data.identityProviders).toEqual([]);

    const events = await graphql(server.url, acme.token, AuditEventsDocument, { first: 20 });
    const mine = events.data.auditEvents.edges.map((e) => e.node).filter((n) => n.targetId === provider.id);
    expect(mine.map((n) => n.action)).toEqual(["identity_provider.removed", "identity_provider.linked", "identity_provider.updated", "identity_provider.registered"]);
    expect(mine.every((n) => n.actorId === acme.clientId)).toBe(true);
  });

  it("treats another organization's provider as absent", async () => {
    const created = await register(acme, { name: "Private IdP" });
    if (created.__typename !== "RegisterIdentityProviderSuccess") throw new Error(JSON.stringify(created));
    const id = created.identityProvider.id;
    const update = await graphql(server.url, other.token, UpdateIdentityProviderDocument, { input: { id, name: "Hijacked" } });
    expect(update.data.updateIdentityProvider.__typename).toBe("NotFoundError");
    const remove = await graphql(server.url, other.token, RemoveIdentityProviderDocument, { id });
    expect(remove.data.removeIdentityProvider.__typename).toBe("NotFoundError");
    const link = await graphql(server.url, other.token, LinkExternalIdentityDocument, { input: { identityProviderId: id, subject: "x", userId: "usr_x" } });
    expect(link.data.linkExternalIdentity.__typename).toBe("NotFoundError");
    const listed = await graphql(server.url, other.token, IdentityProvidersDocument, { organizationId: acme.organizationId });
    expect(listed.data.identityProviders).toEqual([]);
    const intoAcme = await graphql(server.url, other.token, RegisterIdentityProviderDocument, { input: input(acme.organizationId, { name: "Sneaky" }) });
    const r = intoAcme.data.registerIdentityProvider;
    expect(r.__typename).toBe("ValidationError");
    if (r.__typename === "ValidationError") expect(r.fieldErrors[0]!.path).toEqual(["organizationId"]);
    const malformed = await graphql(server.url, acme.token, UpdateIdentityProviderDocument, { input: { id: "app_nope", name: "x" } });
    expect(malformed.data.updateIdentityProvider.__typename).toBe("NotFoundError");
  });

  it("needs the manage scope", async () => {
    const res = await register(readOnly);
    expect(res.__typename).toBe("ForbiddenError");
  });

  it("names the broken rule's field", async () => {
    await register(acme, { name: "Taken" });
    const cases: [Record<string, unknown>, string][] = [
      [{ issuer: "http://idp.example" }, "issuer"],
      [{ issuer: "not a url" }, "issuer"],
      [{ jwksUri: "ftp://idp.example/keys" }, "jwksUri"],
      [{ audience: " " }, "audience"],
      [{ clockSkewSeconds: 3600 }, "clockSkewSeconds"],
      [{ name: "" }, "name"],
      [{ name: "Taken" }, "name"],
    ];
    for (const [extra, field] of cases) {
      const res = await register(acme, { name: `Case ${field} ${JSON.stringify(extra)}`.slice(0, 90), ...extra });
      expect(res.__typename, JSON.stringify(extra)).toBe("ValidationError");
      if (res.__typename === "ValidationError") expect(res.fieldErrors.map((e) => e.path[0])).toContain(field);
    }
    // Plain http only on loopback, for local providers.
    const local = await register(acme, { name: "Local", issuer: "http://127.0.0.1:9999", jwksUri: "http://localhost:9999/keys" });
    expect(local.__typename).toBe("RegisterIdentityProviderSuccess");
  });

  it("links only for SUB providers and only members of the provider's organization", async () => {
    const email = await register(acme, { name: "By email" });
    const sub = await register(acme, { name: "By sub", subjectMapping: "SUB" });
    if (email.__typename !== "RegisterIdentityProviderSuccess" || sub.__typename !== "RegisterIdentityProviderSuccess") throw new Error();
    const member = await createUser(server, acme.organizationDbId, "erin@acme.test");
    const outsider = await createUser(server, other.organizationDbId, "frank@other.test");
    const toEmail = await graphql(server.url, acme.token, LinkExternalIdentityDocument, {
      input: { identityProviderId: email.identityProvider.id, subject: "s1", userId: publicId("User", member.id) },
    });
    expect(toEmail.data.linkExternalIdentity.__typename).toBe("ValidationError");
    const toOutsider = await graphql(server.url, acme.token, LinkExternalIdentityDocument, {
      input: { identityProviderId: sub.identityProvider.id, subject: "s2", userId: publicId("User", outsider.id) },
    });
    const r = toOutsider.data.linkExternalIdentity;
    expect(r.__typename).toBe("ValidationError");
    if (r.__typename === "ValidationError") expect(r.fieldErrors[0]!.path).toEqual(["userId"]);
  });
});

describe("people", () => {
  it("an ADMIN person's console token manages the organization's providers like the admin app's", async () => {
    const person = await createUser(server, acme.organizationDbId, "gina@acme.test", "gina password 1", "ADMIN");
    const { accessToken } = await consoleToken(server, person, "connect.applications.manage");
    const res = await graphql(server.url, accessToken, RegisterIdentityProviderDocument, { input: input(acme.organizationId, { name: "Entra ID" }) });
    expect(res.data.registerIdentityProvider.__typename).toBe("RegisterIdentityProviderSuccess");
    const intoOther = await graphql(server.url, accessToken, RegisterIdentityProviderDocument, { input: input(other.organizationId, { name: "Entra ID" }) });
    expect(intoOther.data.registerIdentityProvider.__typename).toBe("ValidationError");
  });
});

describe("provider URLs", () => {
  it("are https; plain http on loopback only outside production, so a tenant cannot aim the server at its own loopback", () => {
    expect(checkProviderUrl("https://idp.example/keys", false)).toBeNull();
    expect(checkProviderUrl("http://127.0.0.1:8080/keys", true)).toBeNull();
    expect(checkProviderUrl("http://127.0.0.1:8080/keys", false)).toBe("must use https");
    expect(checkProviderUrl("http://idp.example/keys", true)).toMatch(/https/);
    expect(checkProviderUrl("https://user:pw@idp.example/keys", false)).toMatch(/credentials/);
  });
});
