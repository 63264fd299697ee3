// A response cache for read-only GraphQL operations that stays correct across processes.
// Every change an admin can see writes an AuditEvent in the same transaction (see
// src/applications/service.ts), so the number of audit events in the principal's scope is a
// version that any process sharing the database observes. A cached answer is reused only
// while that count is unchanged, for at most BUCKET_MS (time-dependent fields such as a
// secret's `active`, and the batched lastUsedAt, are then at most that stale).
import { createHash } from "node:crypto";
import { Kind, parse, type OperationTypeNode } from "graphql";
import { LRUCache } from "lru-cache";
import type { Principal } from "../auth/principal.ts";
import type { Db } from "../db/client.ts";

const BUCKET_MS = 5000;
const MAX_BYTES = 64 * 1024 * 1024;

export interface GraphQLBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

export interface CachedResponse {
  body: string;
  contentType: string;
}

export class QueryResponseCache {
  #db: Db;
  #responses = new LRUCache<string, CachedResponse>({ max: 2000, maxSize: MAX_BYTES, sizeCalculation: (v) => v.body.length || 1 });
  /** query text hash -> operation name -> operation type, so documents are parsed once. */
  #operations = new LRUCache<string, Map<string | null, OperationTypeNode>>({ max: 2000 });

  constructor(db: Db) {
    this.#db = db;
  }

  /** The cache key for a read-only operation, or null when the request must not be cached. */
  async keyFor(principal: Principal, body: GraphQLBody, accept: string): Promise<string | null> {
    if (typeof body.query !== "string" || body.extensions !== undefined) return null;
    const queryHash = createHash("sha256").update(body.query).digest("base64url");
    const operationName = typeof body.operationName === "string" ? body.operationName : null;
    if (this.#operationType(queryHash, body.query, operationName) !== "query") return null;
    const version = await this.#version(principal);
    const request = createHash("sha256")
      .update(JSON.stringify([queryHash, operationName, body.variables ?? null, accept]))
      .digest("base64url");
    const who = [principal.subject, [...principal.roles].sort().join(","), principal.isOperator ? "op" : "", [...principal.scopes].sort().join(" ")].join("|");
    return `${who}|${version}|${Math.floor(Date.now() / BUCKET_MS)}|${request}`;
  }

  get(key: string): CachedResponse | undefined {
    return this.#responses.get(key);
  }

  set(key: string, response: CachedResponse): void {
    this.#responses.set(key, response);
  }

  #operationType(queryHash: string, query: string, operationName: string | null): OperationTypeNode | null {
    let byName = this.#operations.get(queryHash);
    if (!byName) {
      byName = new Map();
      try {
        const operations = parse(query).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
        for (const op of operations) byName.set(op.name?.value ?? null, op.operation);
        // A lone operation runs whatever operationName says, as long as it matches or is absent.
        if (operations.length === 1) byName.set(null, operations[0]!.operation);
      } catch {
        // Unparseable documents are Yoga's to reject; never cached.
      }
      this.#operations.set(queryHash, byName);
    }
    return byName.get(operationName) ?? null;
  }

  async #version(principal: Principal): Promise<number> {
    const scope = [
      ...(principal.roles.size > 0 ? [{ organizationId: { in: [...principal.roles.keys()] } }] : []),
      // Operators review every organization's publication requests: those steps version their answers too.
      ...(principal.isOperator ? [{ organizationId: null }, { action: { startsWith: "publication." } }] : []),
    ];
    if (scope.length === 0) return 0;
    return this.#db.auditEvent.count({ where: { OR: scope } });
  }
}
