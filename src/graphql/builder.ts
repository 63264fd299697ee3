// The one Pothos builder. Plugins carry the cross-cutting concerns (Prisma selections, Relay
// ids and connections, typed error unions, batching) so resolvers stay small.
import SchemaBuilder from "@pothos/core";
import DataloaderPlugin from "@pothos/plugin-dataloader";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import type PrismaTypes from "../../generated/pothos-types.ts";
import { getDatamodel } from "../../generated/pothos-types.ts";
import type { GraphQLContext } from "./context.ts";
import { decodeNodeId, encodeNodeId } from "./ids.ts";

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    ID: { Input: string; Output: string | number };
  };
}>({
  plugins: [ErrorsPlugin, PrismaPlugin, RelayPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  prisma: {
    // The client comes from the request context, so one schema serves any database.
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodeQueryOptions: {},
    nodesQueryOptions: false,
    // One id per object everywhere (org_..., app_..., usr_...), not base64 Relay ids.
    encodeGlobalID: encodeNodeId,
    decodeGlobalID: decodeNodeId,
  },
  errors: {
    defaultTypes: [],
  },
});

builder.queryType({});
builder.mutationType({});

builder.scalarType("DateTime", {
  description: "An ISO-8601 timestamp in UTC.",
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError("DateTime must be an ISO-8601 timestamp");
    return date;
  },
});
