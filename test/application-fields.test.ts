// The one declaration per application field (src/applications/fields.ts) is what the GraphQL
// inputs and the validation are made of: adding a field there adds it everywhere.
import { isNonNullType, type GraphQLInputObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { APPLICATION_FIELDS } from "../src/applications/fields.ts";
import { shapeFromInput, validateApplication } from "../src/applications/rules.ts";
import { schema } from "../src/graphql/schema.ts";

const inputFields = (name: string) => (schema.getType(name) as GraphQLInputObjectType).getFields();

describe("APPLICATION_FIELDS", () => {
  it("makes CreateConnectApplicationInput: every create field, non-null exactly when required", () => {
    const create = inputFields("CreateConnectApplicationInput");
    const declared = Object.entries(APPLICATION_FIELDS).filter(([, f]) => "create" in f && f.create);
    expect(Object.keys(create).sort()).toEqual(declared.map(([name]) => name).sort());
    for (const [name, f] of declared) expect(isNonNullType(create[name]!.type), name).toBe(f.create === "required");
  });

  it("makes UpdateConnectApplicationInput: the id, then every update field, all optional", () => {
    const update = inputFields("UpdateConnectApplicationInput");
    const declared = Object.entries(APPLICATION_FIELDS).filter(([, f]) => "update" in f && f.update).map(([name]) => name);
    expect(Object.keys(update).sort()).toEqual(["id", ...declared].sort());
    for (const name of declared) expect(isNonNullType(update[name]!.type), name).toBe(false);
  });

  it("checks each field's own rules on the value as stored, with the rule's code and the field's path", () => {
    const input = {
      name: "  ",
      applicationType: "OAUTH" as const,
      isFirstParty: true,
      redirectUris: [{ uri: "https://a.example.com/cb" }],
      clientCode: "NO",
      tokenExchange: { accessTokenTtlSeconds: 10 },
    };
    const errors = validateApplication(input, shapeFromInput(input), true);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: ["name"], code: "name_length" }),
        expect.objectContaining({ path: ["clientCode"], code: "client_code_format" }),
        expect.objectContaining({ path: ["tokenExchange", "accessTokenTtlSeconds"], code: "token_exchange_ttl_range" }),
      ]),
    );
    expect(errors).toHaveLength(3);
  });
});
