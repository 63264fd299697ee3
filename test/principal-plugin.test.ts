// Principal resolution as a Yoga plugin, and the scope-auth declarations it feeds: a Yoga with
// nothing but the schema and usePrincipal, called directly.
import { createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOBODY, READ_SCOPE, type Principal } from "../src/auth/principal.ts";
import { usePrincipal } from "../src/graphql/principal-plugin.ts";
import { schema } from "../src/graphql/schema.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let admin: Admin;
let yoga: ReturnType<typeof createYoga<{ principal?: Principal }>>;

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Plugged");
  const { db, config, catalog } = server.services;
  yoga = createYoga<{ principal?: Principal }>({
    schema,
    logging: false,
    maskedErrors: false,
    plugins: [usePrincipal(server.services, { graphiql: false })],
    context: () => ({ db, config, catalog, services: server.services }),
  });
});
afterAll(async () => server?.close());

const post = (query: string, headers: Record<string, string> = {}, principal?: Principal) =>
  yoga.fetch(
    "http://scopekeeper/graphql",
    { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) },
    principal ? { principal } : {},
  );

describe("usePrincipal", () => {
  it("answers 401 with an RFC 6750 challenge when the token is missing or not this server's", async () => {
    for (const headers of [{}, { authorization: "Bearer garbage" }, { authorization: "Basic Zm9vOmJhcg==" }] as Record<string, string>[]) {
      const res = await post("{ scopeCatalog { id } }", headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
      expect((await res.json()).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    }
  });

  it("puts the bearer token's principal in the context", async () => {
    const res = await post("{ scopeCatalog { id } }", { authorization: `Bearer ${admin.token}` });
    expect(res.status).toBe(200);
    expect((await res.json()).data.scopeCatalog[0].id).toBe("connect");
  });

  it("uses a principal the host already resolved", async () => {
    const readOnly: Principal = { ...NOBODY, subject: "test", scopes: new Set([READ_SCOPE]) };
    const res = await post("{ scopeCatalog { id } }", {}, readOnly);
    expect((await res.json()).data.scopeCatalog[0].id).toBe("connect");
  });
});

describe("authScopes", () => {
  it("refuses a query without connect.applications.read with a ForbiddenError naming the scope", async () => {
    const body = await (await post("{ scopeCatalog { id } }", {}, NOBODY)).json();
    expect(body.data).toBeNull();
    expect(body.errors[0].message).toBe("this token lacks the scope connect.applications.read");
  });

  it("answers a mutation without connect.applications.manage with the ForbiddenError union member", async () => {
    const readOnly: Principal = { ...NOBODY, subject: "test", scopes: new Set([READ_SCOPE]) };
    const mutation = `mutation { deleteConnectApplication(input: { id: "app_x" }) { __typename ... on Error { code } ... on ForbiddenError { requiredScope } } }`;
    const body = await (await post(mutation, {}, readOnly)).json();
    expect(body.data.deleteConnectApplication).toEqual({
      __typename: "ForbiddenError",
      code: "forbidden",
      requiredScope: "connect.applications.manage",
    });
  });
});
