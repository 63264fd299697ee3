// Limits on what one GraphQL document may ask for, as Yoga (envelop) plugins from
// graphql-armor. Without them a document nesting Scope.hub -> Hub.scopes 25 times grew the
// process to 4.5 GB. Each rejection is an ordinary GraphQL error (HTTP 400), never a 500.
import { blockFieldSuggestionsPlugin } from "@escape.tech/graphql-armor-block-field-suggestions";
import { costLimitPlugin } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config/index.ts";

export function documentLimitPlugins(config: Config): Plugin[] {
  const limits = config.graphqlLimits;
  // The limits are public anyway (they are in the docs); saying which one was hit helps.
  const common = { exposeLimits: true, propagateOnRejection: true };
  const plugins = [
    maxTokensPlugin({ ...common, n: limits.maxTokens }),
    maxDepthPlugin({ ...common, n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true }),
    maxAliasesPlugin({ ...common, n: limits.maxAliases }),
    maxDirectivesPlugin({ ...common, n: limits.maxDirectives }),
    costLimitPlugin({ ...common, maxCost: limits.maxCost, ignoreIntrospection: true, flattenFragments: true }),
  ];
  // "Did you mean ...?" maps the schema for an attacker; developers keep it outside production.
  if (config.env === "production") plugins.push(blockFieldSuggestionsPlugin());
  return plugins as Plugin[];
}
