// Read-only answers of the admin API reused for a moment, with Yoga's response-cache plugin
// (@graphql-yoga/plugin-response-cache, in memory), for clients that send the same request
// again and again (a dashboard polling the registry, several tabs of the console).
//
// - Keyed by principal: who (subject, the token's client), their roles, the operator flag and
//   the token's scopes. One organization's answer never reaches another; a request without a
//   token is never cached. The bearer check runs before any lookup: a revoked token gets 401.
// - Only a request seen before within the TTL is cached. Storing an answer costs the plugin a
//   copy of it: on the list of 100 applications with URIs, secrets and grants, caching every
//   answer took the uncached path from 94 to 60 req/s (12 to 19 ms of CPU per request,
//   `npx tsx bench/graphql-list.ts --quick`), for answers that mostly were never asked again.
// - Cleared at once by any change made through this process: every GraphQL mutation and every
//   audited change elsewhere (/oauth/register, consents) count in src/applications/changes.ts,
//   and the count is part of the key.
// - A change made by another process sharing the database shows within
//   GRAPHQL_RESPONSE_CACHE_TTL_MS (default 1000 ms; 0 turns the cache off), as do
//   time-dependent fields (a secret's `active`) and the batched `lastUsedAt`.
// - Answers with errors are not kept; mutations never are.
import { createHash } from "node:crypto";
import { createInMemoryCache, useResponseCache } from "@graphql-yoga/plugin-response-cache";
import type { Plugin } from "graphql-yoga";
import { Kind, type DocumentNode } from "graphql";
import { LRUCache } from "lru-cache";
import { registryChanges } from "../audit/changes.ts";
import { NOBODY, type Principal } from "../access/principal.ts";

/** How many answers are kept; a list of 100 applications is about 70 KB of JSON. */
const MAX_ANSWERS = 200;
/** How many recent requests are remembered (as hashes) to tell a repeated one. */
const MAX_REMEMBERED = 5000;

/** What the admin handler passes to Yoga as the server context. */
export interface CacheContext {
  principal: Principal;
  /** This principal sent this very request within the TTL: worth storing the answer. */
  repeated: boolean;
  /** The hash of the principal and the request body, when the request may be cached. */
  requestKey: string | null;
}

export interface ResponseCache {
  plugins: Plugin[];
  /** Remembers this request; says whether the principal sent the same body within the TTL. */
  remember(principal: Principal, body: unknown): Pick<CacheContext, "repeated" | "requestKey">;
}

const NOT_CACHED = { repeated: false, requestKey: null } as const;

function principalKey(principal: Principal): string {
  const roles = [...principal.roles].map(([org, role]) => `${org}:${role}`).sort().join(",");
  return JSON.stringify([principal.kind, principal.subject, principal.clientId, principal.organizationId, roles, principal.isOperator, [...principal.scopes].sort()]);
}

function requestKeyOf(principal: Principal, body: unknown): string | null {
  let text: string;
  try {
    text = JSON.stringify(body ?? null);
  } catch {
    return null; // variables nested too deep to serialise: Yoga answers those, uncached
  }
  return createHash("sha256").update(principalKey(principal)).update(text).digest("base64url");
}

export function createResponseCache(options: { ttlMs: number }): ResponseCache {
  if (options.ttlMs <= 0) return { plugins: [], remember: () => NOT_CACHED };
  const remembered = new LRUCache<string, true>({ max: MAX_REMEMBERED, ttl: options.ttlMs });
  const contextOf = (context: unknown) => context as Partial<CacheContext>;
  return {
    remember(principal, body) {
      if (principal === NOBODY) return NOT_CACHED;
      const requestKey = requestKeyOf(principal, body);
      if (requestKey === null) return NOT_CACHED;
      if (remembered.has(requestKey)) return { repeated: true, requestKey };
      remembered.set(requestKey, true);
      return { repeated: false, requestKey };
    },
    plugins: [
      useResponseCache<Partial<CacheContext>>({
        cache: createInMemoryCache({ max: MAX_ANSWERS }),
        ttl: options.ttlMs,
        enabled: (_request, context) => contextOf(context).repeated === true,
        // The count of changes is read before the request runs: an answer computed while a
        // change commits is stored under the old count, where nobody looks any more.
        session: () => String(registryChanges.count),
        // The key the handler already hashed (principal and body), so the plugin does not
        // serialise the variables again; unused when the request is not a repeat.
        buildResponseCacheKey: ({ sessionId, context }) => `${contextOf(context).requestKey ?? ""}|${sessionId ?? ""}`,
        // The default logs a warning for every answer with errors; those are simply not kept.
        shouldCacheResult: ({ result }) => !result.errors?.length,
      }),
      useChangesAfterMutations(),
    ],
  };
}

/** A mutation counts as a change once it is done, after its transaction committed. */
function useChangesAfterMutations(): Plugin {
  return {
    onExecute({ args }) {
      if (!isMutation(args.document, args.operationName)) return;
      return { onExecuteDone: () => registryChanges.record() };
    },
  };
}

function isMutation(document: DocumentNode, operationName: string | null | undefined): boolean {
  return document.definitions.some(
    (d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === "mutation" && (operationName == null || d.name?.value === operationName),
  );
}
