// A NUL (U+0000) in a query's arguments (a search, a clientId lookup, an audit filter) is refused
// with BAD_USER_INPUT before any resolver runs: PostgreSQL cannot hold NUL in text and would
// answer a 500, while SQLite would quietly match nothing. Mutations are not touched here: their
// text fields are domain rules (src/applications/text.ts) and answer ValidationError
// invalid_characters, the same on both databases and at /oauth/register.
import { GraphQLError, Kind, visit, type DocumentNode, type OperationDefinitionNode } from "graphql";
import type { Plugin } from "graphql-yoga";

function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (depth > 64 || value === null || typeof value !== "object") return false;
  return Object.values(value as Record<string, unknown>).some((v) => hasNul(v, depth + 1));
}

function literalHasNul(node: OperationDefinitionNode): boolean {
  let found = false;
  visit(node, {
    StringValue(n) {
      if (n.value.includes("\u0000")) found = true;
    },
  });
  return found;
}

export function useNoNulInQueryArguments(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const document = args.document as DocumentNode;
      const operation = document.definitions.find(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
      );
      if (!operation || operation.operation === "mutation") return;
      if (hasNul(args.variableValues) || literalHasNul(operation)) {
        setResultAndStopExecution({
          errors: [new GraphQLError("arguments must not contain NUL characters", { extensions: { code: "BAD_USER_INPUT" } })],
        });
      }
    },
  };
}
