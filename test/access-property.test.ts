// Properties of the one policy (issue 22), with fast-check: generated organizations, people with
// roles in several of them, applications and tokens. First the rules themselves, on thousands of
// generated cases; then the whole server over HTTP on a few generated worlds: no token ever reads
// anything outside the organizations its rule allows.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PersonRoles } from "../src/access/memberships.ts";
import {
  administeredOrganizationIds,
  mayActOnWholeAccount,
  maySeeApplication,
  personTokenScopes,
  type PersonGrant,
} from "../src/access/policy.ts";
import type { Principal, Role } from "../src/access/principal.ts";
import { actingRoles } from "../src/access/tenancy.ts";
import { bootstrapAdmin } from "./helpers/admin.ts";
import { consoleToken } from "./helpers/people.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

const ORGS = ["org_a", "org_b", "org_c", "org_op"] as const;
const OPERATOR = "org_op";
const ADMIN_SCOPE = "core.users.manage";

const role = fc.constantFrom<Role>("ADMIN", "MEMBER");
const person = fc
  .dictionary(fc.constantFrom(...ORGS), role, { maxKeys: ORGS.length })
  .map((roles): PersonRoles => ({ roles: new Map(Object.entries(roles)), operatorOrganizationId: OPERATOR in roles ? OPERATOR : null }));
const app = fc.record({ organizationId: fc.option(fc.constantFrom(...ORGS), { nil: null }), isFirstParty: fc.boolean() });
const grant = fc.constantFrom<PersonGrant>("authorize", "authorization_code", "refresh_token", "device_code", "token_exchange", "on_behalf_of");
const scopes = fc.subarray(["openid", "connect.applications.read", "connect.applications.manage", ADMIN_SCOPE, "knowledge.portalmgr.read"]);

function principalOf(p: PersonRoles, issuedTo: { organizationId: string | null; isFirstParty: boolean }): Principal {
  const { roles, isOperator } = actingRoles(p, issuedTo);
  return { kind: "USER", subject: "usr_x", userId: "x", clientId: "c", organizationId: issuedTo.organizationId, scopes: new Set(["connect.applications.manage"]), roles, isOperator };
}

describe("the rules, on generated people and applications", () => {
  it("a token acts only where its application's rule allows, with the person's own role there", () => {
    fc.assert(
      fc.property(person, app, (p, issuedTo) => {
        const principal = principalOf(p, issuedTo);
        for (const [org, r] of principal.roles) expect(p.roles.get(org)).toBe(r);
        if (!issuedTo.isFirstParty) {
          expect([...principal.roles.keys()].every((org) => org === issuedTo.organizationId)).toBe(true);
        }
        if (principal.isOperator) expect(principal.roles.get(OPERATOR)).toBe("ADMIN");
      }),
      { numRuns: 2000 },
    );
  });

  it("no application of an organization the token does not administer is visible", () => {
    fc.assert(
      fc.property(person, app, fc.constantFrom(...ORGS), fc.boolean(), fc.constantFrom("app-1", "scopekeeper-console"), (p, issuedTo, owner, firstParty, clientId) => {
        const principal = principalOf(p, issuedTo);
        const seen = maySeeApplication(principal, { clientId, organizationId: owner, isFirstParty: firstParty });
        // The console's own client is the server's fixture: nobody sees it in the registry.
        if (clientId === "scopekeeper-console") expect(seen).toBe(false);
        const administered = administeredOrganizationIds(principal);
        if (seen) expect(administered.includes(owner) || (principal.isOperator && firstParty)).toBe(true);
        if (!issuedTo.isFirstParty) expect(administered.every((org) => org === issuedTo.organizationId)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("a whole-account action needs every one of the person's organizations, or the operator", () => {
    fc.assert(
      fc.property(person, app, person, (actor, issuedTo, target) => {
        const principal = principalOf(actor, issuedTo);
        if (mayActOnWholeAccount(principal, target)) {
          expect(principal.isOperator || [...target.roles.keys()].every((org) => principal.roles.get(org) === "ADMIN")).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("connect.* reach people only through first-party sign-ins; admin-consent scopes only while ADMIN of the app's organization", async () => {
    const catalog = { scope: (name: string) => (name === ADMIN_SCOPE || name === "connect.applications.manage" ? { adminConsentRequired: true } : { adminConsentRequired: false }) } as never;
    await fc.assert(
      fc.asyncProperty(person, app, grant, scopes, async (p, issuedTo, how, asked) => {
        const memberships = { get: async () => p };
        const { allowed } = await personTokenScopes({ memberships, catalog }, { app: issuedTo, userId: "x", scopes: asked, grant: how });
        const connect = allowed.filter((s) => s.startsWith("connect."));
        if (connect.length > 0) expect(issuedTo.isFirstParty && !["token_exchange", "on_behalf_of"].includes(how)).toBe(true);
        if (allowed.includes(ADMIN_SCOPE)) {
          const admin = issuedTo.organizationId ? p.roles.get(issuedTo.organizationId) === "ADMIN" : issuedTo.isFirstParty && [...p.roles.values()].includes("ADMIN");
          expect(admin).toBe(true);
        }
        expect(allowed.every((s) => asked.includes(s))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("the server, on generated worlds", () => {
  let server: TestServer;
  let world = 0;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it("never shows a person's console token an application outside the organizations they administer", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.option(role, { nil: null }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 2 }), async (peopleRoles) => {
        world += 1;
        const orgs = [];
        for (let i = 0; i < 3; i++) {
          const admin = await bootstrapAdmin(server, `World ${world} org ${i}`);
          const app = await fetch(`${server.url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
            body: JSON.stringify({
              query: `mutation($i: CreateConnectApplicationInput!) { createConnectApplication(input: $i) { ... on CreateConnectApplicationSuccess { application { clientId } } } }`,
              variables: { i: { name: `App ${i}`, applicationType: "M2M", organizationId: admin.organizationId } },
            }),
          }).then((r) => r.json() as Promise<{ data: { createConnectApplication: { application: { clientId: string } } } }>);
          orgs.push({ admin, clientId: app.data.createConnectApplication.application.clientId });
        }
        for (const [n, roles] of peopleRoles.entries()) {
          const email = `w${world}p${n}@property.test`;
          const user = await createUser(server, null, email, "property password 1");
          for (const [i, r] of roles.entries()) {
            if (r) await server.services.db.membership.create({ data: { organizationId: orgs[i]!.admin.organizationDbId, userId: user.id, role: r } });
          }
          const { accessToken } = await consoleToken(server, user);
          const res = await fetch(`${server.url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
            body: JSON.stringify({ query: `{ applications(first: 100) { edges { node { clientId } } } }` }),
          }).then((r) => r.json() as Promise<{ data: { applications: { edges: { node: { clientId: string } }[] } } }>);
          const seen = new Set(res.data.applications.edges.map((e) => e.node.clientId));
          orgs.forEach((org, i) => expect(seen.has(org.clientId), `${email} role ${roles[i]} in org ${i}`).toBe(roles[i] === "ADMIN"));
        }
      }),
      { numRuns: 4 },
    );
  }, 180_000);
});
