// An application's critical fields: what a publication review approves and what people outside
// its organization get while it is PUBLIC. Cosmetic fields (description, terms, privacy) are
// not part of it and apply at once.
import { createHash } from "node:crypto";
import type { PermissionKind } from "../catalog/index.ts";

export interface Revision {
  name: string;
  logoUri: string | null;
  /** In registration order with the default first: an outsider without redirect_uri lands there. */
  redirectUris: string[];
  /** DELEGATED scopes, sorted. */
  delegatedScopes: string[];
  onBehalfOfEnabled: boolean;
  tokenExchangeEnabled: boolean;
}

/** The critical fields as the API names them; a change to any opens a review of a PUBLIC app. */
export const CRITICAL_FIELDS = ["name", "logoUri", "redirectUris", "delegatedScopes", "onBehalfOfEnabled", "tokenExchange.enabled"] as const;
export type CriticalField = (typeof CRITICAL_FIELDS)[number];

export interface RevisionSource {
  name: string;
  logoUri: string | null;
  onBehalfOfEnabled: boolean;
  tokenExchangeEnabled: boolean;
  redirectUris: { uri: string; kind: string; position: number; isDefault: boolean }[];
  scopeGrants: { scope: string; kind: PermissionKind | string }[];
}

export function revisionOf(app: RevisionSource): Revision {
  const redirects = app.redirectUris.filter((r) => r.kind === "REDIRECT").sort((a, b) => a.position - b.position);
  const ordered = [...redirects.filter((r) => r.isDefault), ...redirects.filter((r) => !r.isDefault)];
  return {
    name: app.name,
    logoUri: app.logoUri,
    redirectUris: ordered.map((r) => r.uri),
    delegatedScopes: [...new Set(app.scopeGrants.filter((g) => g.kind === "DELEGATED").map((g) => g.scope))].sort(),
    onBehalfOfEnabled: app.onBehalfOfEnabled,
    tokenExchangeEnabled: app.tokenExchangeEnabled,
  };
}

export function serializeRevision(revision: Revision): string {
  return JSON.stringify(revision);
}

/**
 * A short fingerprint of a serialized revision: a reviewer's approval names the revision it saw,
 * so a change made between looking and approving is not approved unseen.
 */
export function revisionDigest(serialized: string): string {
  return createHash("sha256").update(serialized).digest("base64url").slice(0, 22);
}

/** A stored revision, or null when absent or unreadable (then nobody outside gets anything from it). */
export function parseRevision(json: string | null | undefined): Revision | null {
  if (!json) return null;
  try {
    const value = JSON.parse(json) as Partial<Revision>;
    if (typeof value.name !== "string" || !Array.isArray(value.redirectUris) || !Array.isArray(value.delegatedScopes)) return null;
    return {
      name: value.name,
      logoUri: value.logoUri ?? null,
      redirectUris: value.redirectUris.map(String),
      delegatedScopes: value.delegatedScopes.map(String),
      onBehalfOfEnabled: Boolean(value.onBehalfOfEnabled),
      tokenExchangeEnabled: Boolean(value.tokenExchangeEnabled),
    };
  } catch {
    return null;
  }
}

/** One critical field as a list of strings, so every field diffs the same way. */
function valuesOf(revision: Revision, field: CriticalField): string[] {
  switch (field) {
    case "name":
      return [revision.name];
    case "logoUri":
      return revision.logoUri ? [revision.logoUri] : [];
    case "redirectUris":
      return revision.redirectUris;
    case "delegatedScopes":
      return revision.delegatedScopes;
    case "onBehalfOfEnabled":
      return [String(revision.onBehalfOfEnabled)];
    case "tokenExchange.enabled":
      return [String(revision.tokenExchangeEnabled)];
  }
}

export interface RevisionChange {
  field: CriticalField;
  /** Null when nothing was approved yet (a first publication: every field is new). */
  approved: string[] | null;
  proposed: string[];
  added: string[];
  removed: string[];
}

/** What a review decides: every critical field that differs from the approved revision. */
export function changesBetween(approved: Revision | null, proposed: Revision): RevisionChange[] {
  const changes: RevisionChange[] = [];
  for (const field of CRITICAL_FIELDS) {
    const after = valuesOf(proposed, field);
    const before = approved ? valuesOf(approved, field) : null;
    if (before && before.length === after.length && before.every((v, i) => v === after[i])) continue;
    changes.push({
      field,
      approved: before,
      proposed: after,
      added: after.filter((v) => !(before ?? []).includes(v)),
      removed: (before ?? []).filter((v) => !after.includes(v)),
    });
  }
  return changes;
}

/** The approved revision a PUBLIC application's outsiders get, or null. */
export function approvedRevisionOf(app: { visibility: string; approvedRevision: string | null }): Revision | null {
  return app.visibility === "PUBLIC" ? parseRevision(app.approvedRevision) : null;
}
