// An in-memory view of applications as the token endpoint needs them, so the hot path does
// not wait on the database. A change to an application (settings, secrets, grants,
// publication) is announced through the change feed (src/changes/feed.ts), which invalidates
// the entry here and in every other process sharing the database; a notice that is missed is
// made up for within MAX_STALE_MS.
import { LRUCache } from "lru-cache";
import type { Db } from "../db/client.ts";
import { parseRevision } from "./revision.ts";
import { isConfidential, type ApplicationType, type Platform } from "./rules.ts";

export interface SecretView {
  id: string;
  hash: string;
  expiresAt: number | null;
  revoked: boolean;
}

export interface ClientView {
  id: string;
  clientId: string;
  organizationId: string | null;
  applicationType: ApplicationType;
  platform: Platform | null;
  confidential: boolean;
  usesPkce: boolean;
  isFirstParty: boolean;
  /** Token exchange and on-behalf-of switches (RFC 8693), and the lifetime of what they issue. */
  tokenExchange: { enabled: boolean; accessTokenTtlSeconds: number };
  onBehalfOfEnabled: boolean;
  onBehalfOfNamedSubjects: boolean;
  applicationGrants: ReadonlySet<string>;
  delegatedGrants: ReadonlySet<string>;
  /** PRIVATE | PUBLIC: a PUBLIC app serves its approved revision to people outside its organization. */
  visibility: string;
  /** The approved revision's DELEGATED scopes and on-behalf-of switch while PUBLIC, else null. */
  approvedDelegated: ReadonlySet<string> | null;
  approvedOnBehalfOf: boolean | null;
  secrets: ReadonlyMap<string, SecretView>;
  /** How it authenticates at the token endpoint (RFC 7591 names), derived when not registered. */
  authMethod: "client_secret_basic" | "client_secret_post" | "private_key_jwt" | "none";
  /** private_key_jwt keys (RFC 7523): a JWK Set as JSON, or where to fetch one. */
  jwks: string | null;
  jwksUri: string | null;
  /** RFC 9449: tokens only with a DPoP proof. */
  requireDpop: boolean;
}

interface Entry {
  view: ClientView | null;
  loadedAt: number;
}

/** Served without a look at the database while younger than this. */
const FRESH_MS = 1500;
/** Served while a refresh runs in the background until this old; older entries are reloaded first. */
const MAX_STALE_MS = 4000;

export class ClientDirectory {
  #db: Db;
  #cache = new LRUCache<string, Entry>({ max: 20_000 });
  #inflight = new Map<string, Promise<Entry>>();
  /** Bumped by every invalidation, so a read that started before one is not kept. */
  #generation = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(clientId: string): Promise<ClientView | null> {
    const entry = this.#cache.get(clientId);
    const age = entry ? Date.now() - entry.loadedAt : Infinity;
    if (entry && age < FRESH_MS) return entry.view;
    if (entry && age < MAX_STALE_MS) {
      void this.#load(clientId).catch(() => undefined);
      return entry.view;
    }
    return (await this.#load(clientId)).view;
  }

  /** The change feed's handler for a changed application, from this process or another. */
  invalidate(clientId: string): void {
    this.#generation++;
    this.#cache.delete(clientId);
    this.#inflight.delete(clientId);
  }

  /** Notices may have been missed: everything is read again. */
  clear(): void {
    this.#generation++;
    this.#cache.clear();
    this.#inflight.clear();
  }

  #load(clientId: string): Promise<Entry> {
    let pending = this.#inflight.get(clientId);
    if (!pending) {
      const generation = this.#generation;
      const loading: Promise<Entry> = this.#fetch(clientId)
        .then((view) => {
          const entry = { view, loadedAt: Date.now() };
          if (generation === this.#generation) this.#cache.set(clientId, entry);
          return entry;
        })
        .finally(() => {
          if (this.#inflight.get(clientId) === loading) this.#inflight.delete(clientId);
        });
      pending = loading;
      this.#inflight.set(clientId, pending);
    }
    return pending;
  }

  async #fetch(clientId: string): Promise<ClientView | null> {
    const app = await this.#db.connectApplication.findUnique({
      where: { clientId },
      include: {
        scopeGrants: { select: { scope: true, kind: true } },
        clientSecrets: { select: { id: true, hash: true, expiresAt: true, revokedAt: true } },
      },
    });
    if (!app) return null;
    const applicationType = app.applicationType as ApplicationType;
    const platform = app.platform as Platform | null;
    const approved = app.visibility === "PUBLIC" ? parseRevision(app.approvedRevision) : null;
    return {
      id: app.id,
      clientId: app.clientId,
      organizationId: app.organizationId,
      applicationType,
      platform,
      confidential: isConfidential(applicationType, platform),
      usesPkce: app.usesPkce,
      isFirstParty: app.isFirstParty,
      tokenExchange: { enabled: app.tokenExchangeEnabled, accessTokenTtlSeconds: app.tokenExchangeAccessTokenTtl },
      onBehalfOfEnabled: app.onBehalfOfEnabled,
      onBehalfOfNamedSubjects: app.onBehalfOfNamedSubjects,
      applicationGrants: new Set(app.scopeGrants.filter((g) => g.kind === "APPLICATION").map((g) => g.scope)),
      delegatedGrants: new Set(app.scopeGrants.filter((g) => g.kind === "DELEGATED").map((g) => g.scope)),
      visibility: app.visibility,
      approvedDelegated: approved ? new Set(approved.delegatedScopes) : null,
      approvedOnBehalfOf: approved ? approved.onBehalfOfEnabled : null,
      authMethod: (app.tokenEndpointAuthMethod?.toLowerCase() ?? (isConfidential(applicationType, platform) ? "client_secret_basic" : "none")) as ClientView["authMethod"],
      jwks: app.jwks,
      jwksUri: app.jwksUri,
      requireDpop: app.requireDpop,
      secrets: new Map(
        app.clientSecrets.map((s) => [
          s.id,
          { id: s.id, hash: s.hash, expiresAt: s.expiresAt?.getTime() ?? null, revoked: s.revokedAt !== null },
        ]),
      ),
    };
  }
}
