// Issue 16 item 3 at the GraphQL door: every mutation of schema.graphql, with inputs that
// follow their types or break them, and requests that are not GraphQL at all. The answer is
// never a 5xx; it is a GraphQL error list or the mutation's union answered with a Success or an
// error type (ValidationError, NotFoundError, ForbiddenError); a refused mutation leaves the
// database exactly as it was.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { deepJson, hugeString, jsonValue, jwtLike, nastyString, percentGarbage, type FuzzRequest } from "./fuzz/arbitraries.ts";
import { operationFor, mutations, variablesFor, type Known } from "./fuzz/graphql-inputs.ts";
import { describe as show, fuzzDoor, fuzzTimeout, reportCases, startFuzzWorld, type FuzzResponse, type FuzzWorld } from "./fuzz/harness.ts";
import { CALLBACK, registerWebApp } from "./helpers/user-apps.ts";

let w: FuzzWorld;
let known: Known;

beforeAll(async () => {
  w = await startFuzzWorld();
  // A second app the fuzzer may change or delete, and the ids of things that exist.
  const target = await registerWebApp(w.server, w.admin, "GraphQL target", ["knowledge.portalmgr.read"]);
  const secrets = await w.server.services.db.clientSecret.findMany({ select: { id: true } });
  const users = await w.server.services.db.user.findMany({ select: { id: true } });
  const { publicId } = await import("../src/ids.ts");
  known = {
    ids: [target.id, w.app.id, w.admin.organizationId, ...secrets.map((s) => publicId("ClientSecret", s.id)), ...users.map((u) => publicId("User", u.id))],
    strings: ["knowledge.portalmgr.read", "openid", CALLBACK, "fuzz@fuzz.test", "Fuzzed", "https://idp.example.test", w.app.clientId],
  };
}, 120_000);
afterAll(async () => {
  if (w) reportCases(w, "fuzz-graphql");
  await w?.server.close();
});

function graphqlAnswer(req: FuzzRequest, res: FuzzResponse, mutation?: string) {
  const what = show(req, res);
  const body = res.json as { data?: Record<string, { __typename?: string } | null> | null; errors?: { message?: unknown }[] } | undefined;
  if (res.headers.get("content-type")?.includes("json")) {
    expect(body, what).toBeTypeOf("object");
  }
  if (body?.errors !== undefined) {
    expect(Array.isArray(body.errors), what).toBe(true);
    expect(body.errors.length, what).toBeGreaterThan(0);
    for (const e of body.errors) expect(typeof e.message, what).toBe("string");
    return { refused: true };
  }
  if (res.status >= 400) return { refused: true };
  const answer = mutation ? body?.data?.[mutation] : undefined;
  expect(answer?.__typename, what).toMatch(/(Success|Error)$/);
  return { refused: !answer!.__typename!.endsWith("Success") };
}

const RUNS = 10;

it("every mutation, with inputs of the right and the wrong types: never a 5xx, a GraphQL error or the union's answer, nothing changed when refused", async () => {
  const all = mutations();
  expect(all.length).toBeGreaterThan(10);
  const bearer = fc.oneof({ weight: 8, arbitrary: fc.constant(`Bearer ${w.admin.token}`) }, { weight: 1, arbitrary: jwtLike(w.admin.token).map((t) => `Bearer ${t}`) }, { weight: 1, arbitrary: fc.constantFrom(undefined, "Bearer", "Basic Og==") });
  for (const m of all) {
    const requests = fc.tuple(variablesFor(m, known), bearer).map(([variables, authorization]): FuzzRequest => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (authorization) headers.authorization = authorization;
      return { method: "POST", path: "/graphql", headers, body: JSON.stringify({ query: operationFor(m), variables }) };
    });
    await fuzzDoor(w, `graphql ${m.name}`, requests, (req, res) => graphqlAnswer(req, res, m.name), RUNS * 3);
  }
}, fuzzTimeout(RUNS * 3) * 20);

it("requests that are barely GraphQL: never a 5xx, always a GraphQL error, nothing changed", async () => {
  const m = mutations().find((x) => x.name === "createConnectApplication")!;
  const op = operationFor(m);
  const requests = fc
    .tuple(
      fc.constantFrom("wrong-types", "deep-variables", "deep-body", "garbage", "huge-query", "content-type", "get", "batched", "duplicate-keys", "inline-literal"),
      jsonValue,
      deepJson,
      percentGarbage(),
      hugeString,
      nastyString,
    )
    .map(([shape, value, deep, garbage, huge, nasty]): FuzzRequest => {
      const headers: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${w.admin.token}` };
      const post = (body: string, extra: Record<string, string> = {}): FuzzRequest => ({ method: "POST", path: "/graphql", headers: { ...headers, ...extra }, body });
      switch (shape) {
        case "wrong-types":
          return post(JSON.stringify({ query: value, variables: nasty, operationName: value }));
        case "deep-variables":
          return post(`{"query":${JSON.stringify(op)},"variables":{"input":${deep}}}`);
        case "deep-body":
          return post(deep);
        case "garbage":
          return post(garbage);
        case "huge-query":
          return post(JSON.stringify({ query: `mutation { createConnectApplication(input: {name: ${JSON.stringify(huge)}}) { __typename } }` }));
        case "content-type":
          return post(JSON.stringify({ query: op, variables: { input: value } }), { "content-type": nasty.replace(/[^\x20-\x7e]/g, "") || "text/plain" });
        case "get":
          return { method: "GET", path: `/graphql?query=${encodeURIComponent(op)}&variables=${encodeURIComponent(JSON.stringify({ input: value }))}`, headers: { authorization: headers.authorization! } };
        case "batched":
          return post(JSON.stringify([{ query: op, variables: { input: value } }, { query: op }]));
        case "duplicate-keys":
          return post(`{"query":${JSON.stringify(op)},"query":${JSON.stringify(nasty)},"variables":{"input":{"name":"a","name":${JSON.stringify(value) ?? "null"}}}}`);
        default:
          return post(JSON.stringify({ query: `mutation { createConnectApplication(input: { name: ${JSON.stringify(nasty)}, applicationType: M2M, organizationId: ${JSON.stringify(w.admin.organizationId)}, extra: ${JSON.stringify(nasty)} }) { __typename } }` }));
      }
    });
  await fuzzDoor(w, "graphql malformed", requests, (req, res) => graphqlAnswer(req, res, "createConnectApplication"), RUNS * 10);
}, fuzzTimeout(RUNS * 10));
