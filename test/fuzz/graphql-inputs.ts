// Inputs for every GraphQL mutation, derived from schema.graphql: a mutation added to the
// schema is fuzzed without touching this file. Values follow the declared type most of the
// time (so the domain rules are reached) and break it the rest (wrong types, nulls, absurd
// numbers, hostile strings, missing and unknown fields).
import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import {
  buildSchema,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputType,
  type GraphQLSchema,
} from "graphql";
import { fieldValue, jsonValue, nastyString } from "./arbitraries.ts";

export const schema: GraphQLSchema = buildSchema(readFileSync(path.resolve(import.meta.dirname, "../../schema.graphql"), "utf8"));

export interface Mutation {
  name: string;
  /** The mutation's arguments: name and GraphQL type as written, e.g. ["input", "GrantScopesInput!"]. */
  args: [string, string][];
}

export function mutations(): Mutation[] {
  const fields = schema.getMutationType()?.getFields() ?? {};
  return Object.values(fields).map((f) => ({ name: f.name, args: f.args.map((a) => [a.name, String(a.type)]) }));
}

/** Known ids and names, so that some generated requests name things that exist. */
export interface Known {
  ids: string[];
  strings: string[];
}

const ABSURD_INT = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 0.5, -0));

function valueOf(type: GraphQLInputType, known: Known, depth: number): fc.Arbitrary<unknown> {
  const wrong = jsonValue;
  if (isNonNullType(type)) return fc.oneof({ weight: 12, arbitrary: valueOf(getNullableType(type) as GraphQLInputType, known, depth) }, { weight: 1, arbitrary: fc.constant(null) });
  const right: fc.Arbitrary<unknown> = (() => {
    if (isListType(type)) return depth > 4 ? fc.constant([]) : fc.array(valueOf(type.ofType as GraphQLInputType, known, depth + 1), { maxLength: 4 });
    if (isInputObjectType(type)) {
      if (depth > 4) return fc.constant({});
      const fields = type.getFields();
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, field] of Object.entries(fields)) record[name] = valueOf(field.type, known, depth + 1);
      return fc
        .tuple(fc.record(record, { requiredKeys: Object.keys(fields).filter((k) => isNonNullType(fields[k]!.type)) }), fc.option(fc.tuple(nastyString, jsonValue), { freq: 6 }))
        .map(([obj, extra]) => (extra ? { ...obj, [extra[0]]: extra[1] } : obj));
    }
    if (isEnumType(type)) return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...type.getValues().map((v) => v.name)) }, { weight: 1, arbitrary: nastyString });
    if (isScalarType(type)) {
      switch (type.name) {
        case "ID":
          return fieldValue(known.ids.length ? known.ids : ["x"]);
        case "Int":
          return ABSURD_INT;
        case "Float":
          return fc.oneof(fc.double(), ABSURD_INT);
        case "Boolean":
          return fc.boolean();
        default:
          return fieldValue(known.strings.length ? known.strings : ["x"]);
      }
    }
    return wrong;
  })();
  return fc.oneof({ weight: 9, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

/** Variables for a mutation: its arguments by their declared types, sometimes wrong at the top. */
export function variablesFor(m: Mutation, known: Known): fc.Arbitrary<Record<string, unknown>> {
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  const fields = schema.getMutationType()!.getFields()[m.name]!;
  for (const arg of fields.args) record[arg.name] = valueOf(arg.type, known, 0);
  return fc.record(record);
}

/** The operation text: the mutation with its arguments as variables, asking for the union's typename. */
export function operationFor(m: Mutation): string {
  const decl = m.args.map(([name, type]) => `$${name}: ${type}`).join(", ");
  const use = m.args.map(([name]) => `${name}: $${name}`).join(", ");
  return `mutation Fuzz${decl ? `(${decl})` : ""} { ${m.name}${use ? `(${use})` : ""} { __typename } }`;
}
