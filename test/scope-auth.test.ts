// The scope-auth declarations on the root types: a Yoga with nothing but the schema, called
// directly with a principal (the server resolves it once per request in src/graphql/handler.ts;
// the 401 for a missing or bad token is tested over HTTP in test/authorization.test.ts).
import { createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOBODY, READ_SCOPE, type Principal } from "../src/access/principal.ts";
import { schema } from "../src/graphql/schema.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let yoga: ReturnType<typeof createYoga<{ principal?: Principal }>>;

beforeAll(async () => {
  server = await startTestServer();
  const { db, config, catalog } = server.services;
  yoga = createYoga<{ principal?: Principal }>({
    schema,
    logging: false,
    maskedErrors: false,
    context: ({ principal }) => ({ db, config, catalog, services: server.services, principal: principal ?? NOBODY }),
  });
});
afterAll(async () => server?.close());

const post = (query: string, headers: Record<string, string> = {}, principal?: Principal) =>
  yoga.fetch(
    "http://scopekeeper/graphql",
    { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) },
    principal ? { principal } : {},
  );

describe("a principal the host resolved", () => {
  it("is what the resolvers see", async () => {
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
