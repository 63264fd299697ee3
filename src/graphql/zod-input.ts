// GraphQL input fields generated from the zod declarations of src/applications/fields.ts, so
// an application field is declared once. @pothos/plugin-zod and @pothos/plugin-validation
// only validate arguments against a schema: the input types would still be written by hand
// next to it, and their errors are not our FieldErrors with rule codes. The mapping is small:
//   z.string() -> String (ID with .meta({ graphqlType: "ID" })), z.boolean() -> Boolean,
//   z.number() -> Int when z.int() or .meta({ graphqlType: "Int" }), else Float,
//   z.enum() -> the Pothos enum named by .meta({ title }), z.object() -> an input type named by
//   .meta({ title }), z.array(x) -> [x!]; .nullish()/.optional()/.nullable() -> nullable;
//   .meta({ description }) -> the field's description.
import type { EnumRef, InputFieldRef, InputObjectRef, SchemaTypes } from "@pothos/core";
import type { z } from "zod";
import { builder } from "./builder.ts";

type Builder = typeof builder;
type Types = Builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : SchemaTypes;
type FieldBuilder = PothosSchemaTypes.InputFieldBuilder<Types, "InputObject">;
type GraphQLTypeParam = string | EnumRef<Types, unknown> | InputObjectRef<Types, unknown> | [GraphQLTypeParam];

interface Meta {
  title?: string;
  description?: string;
  graphqlType?: "ID" | "Int";
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  format?: string;
}

export interface FieldDeclaration {
  schema: z.ZodType;
  create?: "required" | "optional";
  update?: boolean;
  createNote?: string;
  updateNote?: string;
}

export class ZodInputTypes {
  readonly #enums: Record<string, EnumRef<Types, unknown>>;
  readonly #objects = new Map<string, InputObjectRef<Types, unknown>>();

  /** enums: the Pothos enum for each z.enum's meta title. */
  constructor(enums: Record<string, EnumRef<Types, unknown>>) {
    this.#enums = enums;
  }

  /** The input fields of one input type: the declarations that appear in `use`, in order. */
  fields(t: FieldBuilder, declarations: Record<string, FieldDeclaration>, use: "create" | "update") {
    const fields: Record<string, InputFieldRef<Types, unknown>> = {};
    for (const [name, declaration] of Object.entries(declarations)) {
      if (use === "create" ? !declaration.create : !declaration.update) continue;
      const description = use === "create" ? (declaration.createNote ?? describe(declaration.schema)) : (declaration.updateNote ?? describe(declaration.schema));
      fields[name] = this.#field(t, declaration.schema, use === "create" && declaration.create === "required", description);
    }
    return fields;
  }

  #field(t: FieldBuilder, schema: z.ZodType, required: boolean, description: string | undefined) {
    const options = { type: this.#type(unwrap(schema)), required, ...(description ? { description } : {}) };
    return t.field(options as never) as InputFieldRef<Types, unknown>;
  }

  #type(schema: z.ZodType): GraphQLTypeParam {
    const def = schema._zod.def as unknown as Def;
    const meta = (schema.meta() ?? {}) as Meta;
    switch (def.type) {
      case "string":
        return meta.graphqlType === "ID" ? "ID" : "String";
      case "boolean":
        return "Boolean";
      case "number":
        return meta.graphqlType === "Int" || def.format?.includes("int") ? "Int" : "Float";
      case "array":
        return [this.#type(unwrap(def.element!))];
      case "enum": {
        const ref = meta.title ? this.#enums[meta.title] : undefined;
        if (!ref) throw new Error(`z.enum needs .meta({ title }) naming one of: ${Object.keys(this.#enums).join(", ")}`);
        return ref;
      }
      case "object":
        return this.#object(def.shape!, meta);
      default:
        throw new Error(`no GraphQL input type for zod ${def.type}`);
    }
  }

  #object(shape: Record<string, z.ZodType>, meta: Meta) {
    if (!meta.title) throw new Error("z.object in an input needs .meta({ title }): the GraphQL input type's name");
    const known = this.#objects.get(meta.title);
    if (known) return known;
    const ref = builder.inputType(meta.title, {
      ...(meta.description ? { description: meta.description } : {}),
      fields: (t) => {
        const fields: Record<string, InputFieldRef<Types, unknown>> = {};
        for (const [name, inner] of Object.entries(shape)) fields[name] = this.#field(t, inner, !isOptional(inner), describe(inner));
        return fields;
      },
    }) as InputObjectRef<Types, unknown>;
    this.#objects.set(meta.title, ref);
    return ref;
  }
}

function unwrap(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as unknown as Def;
  return def.type === "optional" || def.type === "nullable" ? unwrap(def.innerType!) : schema;
}

function isOptional(schema: z.ZodType): boolean {
  const type = (schema._zod.def as unknown as Def).type;
  return type === "optional" || type === "nullable";
}

/** The first description found from the outermost wrapper in. */
function describe(schema: z.ZodType): string | undefined {
  const own = (schema.meta() as Meta | undefined)?.description;
  if (own) return own;
  const def = schema._zod.def as unknown as Def;
  return def.innerType ? describe(def.innerType) : undefined;
}
