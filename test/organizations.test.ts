// createOrganization: operator ADMINs make an organization and invite its first ADMIN, under
// the Result-union convention; anyone else is refused, and a broken rule changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let operator: Admin;
let acme: Admin;

const CREATE = `mutation ($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    __typename
    ... on CreateOrganizationSuccess { invitationUrl organization { id name isOperator } }
    ... on ValidationError { fieldErrors { path code message } }
    ... on Error { message }
    ... on ForbiddenError { code }
  }
}`;

async function create(token: string, input: Record<string, unknown>) {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: CREATE, variables: { input } }),
  });
  const body = (await res.json()) as { data?: { createOrganization: Record<string, unknown> }; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body));
  return body.data.createOrganization as Record<string, unknown> & { __typename: string };
}

describe("createOrganization", () => {
  beforeAll(async () => {
    server = await startTestServer();
    operator = await bootstrapAdmin(server, "Operator");
    acme = await bootstrapAdmin(server, "Acme");
  });
  afterAll(async () => server?.close());

  it("lets an operator ADMIN create an organization and invites its first ADMIN with a one-time link", async () => {
    const result = await create(operator.token, { name: "  Globex ", adminEmail: "Gus@Globex.example" });
    expect(result).toMatchObject({ __typename: "CreateOrganizationSuccess", organization: { name: "Globex", isOperator: false } });
    expect(result.invitationUrl).toMatch(new RegExp(`^${server.url}/oauth/invitation\\?token=`));
    const org = await server.services.db.organization.findUniqueOrThrow({ where: { name: "Globex" } });
    const invitation = await server.services.db.invitation.findFirstOrThrow({ where: { organizationId: org.id } });
    expect(invitation).toMatchObject({ email: "gus@globex.example", role: "ADMIN", purpose: "INVITE" });
    const page = await fetch(String(result.invitationUrl));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Globex");
    expect(await server.services.db.auditEvent.count({ where: { action: "organization.created", organizationId: org.id } })).toBe(1);
  });

  it("refuses an ADMIN of any other organization with ForbiddenError operator_only, creating nothing", async () => {
    const before = await server.services.db.organization.count();
    const result = await create(acme.token, { name: "Initech", adminEmail: "ian@initech.example" });
    expect(result).toMatchObject({ __typename: "ForbiddenError", code: "operator_only" });
    expect(await server.services.db.organization.count()).toBe(before);
  });

  it("refuses an empty or taken name and a malformed email at their fields, creating nothing", async () => {
    const before = await server.services.db.organization.count();
    const codes = async (input: Record<string, unknown>) => {
      const r = await create(operator.token, input);
      expect(r.__typename).toBe("ValidationError");
      return (r.fieldErrors as { path: string[]; code: string }[]).map((e) => `${e.path.join(".")}:${e.code}`);
    };
    expect(await codes({ name: " ", adminEmail: "not-an-email" })).toEqual(["name:name_length", "adminEmail:email_invalid"]);
    expect(await codes({ name: "Acme", adminEmail: "a@acme.example" })).toEqual(["name:name_taken"]);
    expect(await codes({ name: "Evil\u202Ename", adminEmail: "e@evil.example" })).toContain("name:invalid_characters");
    expect(await server.services.db.organization.count()).toBe(before);
    expect(await server.services.db.invitation.count({ where: { email: { in: ["a@acme.example", "e@evil.example"] } } })).toBe(0);
  });
});
