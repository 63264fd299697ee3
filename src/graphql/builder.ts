// The one Pothos builder. Plugins carry the cross-cutting concerns (Prisma selections, Relay
// ids and connections, typed error unions, authorization) so resolvers stay small.
//
// Authorization is declared, never called: every field states the token scope it needs with
// `authScopes`, checked by @pothos/plugin-scope-auth before the resolver runs.
//   - reading the registry:   authScopes: { readRegistry: true }    (connect.applications.read)
//   - changing the registry:  authScopes: { manageRegistry: true }  (connect.applications.manage)
// Query fields default to readRegistry and Mutation fields to manageRegistry (the root types'
// own authScopes below), so a new module that forgets to declare anything still fails closed.
// A refusal is a ForbiddenError: a union member of a mutation's result (its errors option
// lists ForbiddenError), a GraphQL error with extensions.code FORBIDDEN anywhere else.
// Which objects a principal may see (its organizations) is not a scope: the domain filters in
// src/access/policy.ts decide that, and another organization's object reads as absent.
import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type PrismaTypes from "../../generated/pothos-types.ts";
import { getDatamodel } from "../../generated/pothos-types.ts";
import { registryScopes, unauthorizedError, type RegistryScopes } from "./auth-scopes.ts";
import type { GraphQLContext } from "./context.ts";
import { decodeNodeId, encodeNodeId } from "./ids.ts";

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: RegistryScopes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    ID: { Input: string; Output: string | number };
  };
}>({
  // Errors before scope-auth, so a refusal thrown by scope-auth becomes a union member.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => registryScopes(ctx.principal),
    unauthorizedError: (_parent, _ctx, _info, result) => unauthorizedError(result.failure),
  },
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

builder.queryType({ authScopes: { readRegistry: true } });
builder.mutationType({ authScopes: { manageRegistry: true } });

builder.scalarType("DateTime", {
  description: "An ISO-8601 timestamp in UTC.",
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError("DateTime must be an ISO-8601 timestamp");
    return date;
  },
});
