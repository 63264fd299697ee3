// Assembles the GraphQL schema from the type modules; printed to schema.graphql by scripts/print-schema.ts.
import { lexicographicSortSchema } from "graphql";
import { builder } from "./builder.ts";
import "./errors.ts";
import "./catalog.ts";
import "./applications.ts";
import "./queries.ts";
import "./mutations.ts";
import "./members.ts";
import "./viewer.ts";
import "./identity-providers.ts";
import "./viewer-consents.ts";
import "./registration-tokens.ts";
import "./publication.ts";

export const schema = lexicographicSortSchema(builder.toSchema());
