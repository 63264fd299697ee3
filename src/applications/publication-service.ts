// Publication use cases: request, approve, reject, withdraw, unpublish, and the automatic
// review of a change to a PUBLIC application. Every step asks the transition table in
// publication.ts, runs in one transaction with the application locked, decides a request at
// most once (a conditional update on its PENDING status), and is an audit event.
import type { Db, Prisma } from "../db/client.ts";
import type { Provider } from "../db/url.ts";
import { publicId } from "../ids.ts";
import type { Principal } from "../access/principal.ts";
import { administers, hasRegistryScope, publicationRoles, visiblePublicationRequestsWhere as visibleRequestsWhere } from "../access/policy.ts";
import { revokeRefreshTokensWhere, type RevocationNotes } from "../auth/revocation-notes.ts";
import type { ChangeFeed } from "../changes/feed.ts";
import { assertValid, ForbiddenError, NotFoundError, ValidationError } from "../errors.ts";
import { textErrors } from "./text.ts";
import { lockApplication } from "./locks.ts";
import {
  mayTake,
  NOTES_MAX,
  PUBLICATION_TRANSITIONS,
  publicationRequirements,
  publicationState,
  REASON_MAX,
  refusal,
  transition,
  visibilityOf,
  type PublicationAction,
  type PublicationActor,
  type PublicationOrigin,
  type PublicationStatus,
} from "./publication.ts";
import { changesBetween, parseRevision, revisionDigest, revisionOf, serializeRevision, type Revision } from "./revision.ts";
import type { FieldError } from "./rules.ts";
import { audit } from "../audit/record.ts";

type Tx = Prisma.TransactionClient;
type Actor = Pick<Principal, "subject" | "kind"> | null;

const APP_INCLUDE = { redirectUris: true, scopeGrants: { select: { scope: true, kind: true } } } as const;
type AppRow = Prisma.ConnectApplicationGetPayload<{ include: typeof APP_INCLUDE }>;

/** Prisma's unique-constraint violation: a concurrent request took the one pending slot first. */
const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === "P2002";

/** Publication requests a principal may read: all for operator ADMINs, their organizations' for others. */
export function visiblePublicationRequestsWhere(principal: Principal): Prisma.PublicationRequestWhereInput {
  return visibleRequestsWhere(principal) as Prisma.PublicationRequestWhereInput;
}

/** Everything that keeps an application from being reviewed now, all listed at once. */
export function publicationBlockers(app: AppRow, pending: boolean): FieldError[] {
  const missing = publicationRequirements(app);
  const state = publicationState(app.visibility, pending);
  const step = transition(state, "request", ["applicationId"]);
  if (!step.ok) missing.push(step.error);
  else if (state === "PUBLIC") {
    // A published app is re-reviewed only for what changed since its approval.
    const approved = parseRevision(app.approvedRevision);
    if (approved && changesBetween(approved, revisionOf(app)).length === 0) {
      missing.push({ path: ["applicationId"], code: "publication_nothing_to_review", message: "this application is published and unchanged since its approval" });
    }
  }
  return missing;
}

export class PublicationService {
  #db: Db;
  #provider: Provider;
  #changes: Pick<ChangeFeed, "announce">;
  #revocations: RevocationNotes;

  constructor(deps: { db: Db; provider: Provider; changes: Pick<ChangeFeed, "announce">; revocations: RevocationNotes }) {
    this.#db = deps.db;
    this.#provider = deps.provider;
    this.#changes = deps.changes;
    this.#revocations = deps.revocations;
  }

  /** What the application lacks for a publication request (empty when one may be made). */
  async readiness(applicationId: string): Promise<FieldError[]> {
    const app = await this.#db.connectApplication.findUnique({ where: { id: applicationId }, include: APP_INCLUDE });
    if (!app) return [];
    const pending = await this.#db.publicationRequest.count({ where: { pendingKey: applicationId } });
    return publicationBlockers(app, pending > 0);
  }

  async request(principal: Principal, applicationId: string, notes: string | null | undefined) {
    const app = await this.#db.connectApplication.findUnique({ where: { id: applicationId }, select: { organizationId: true } });
    if (!app || !hasRegistryScope(principal, "read") || !administers(principal, app.organizationId)) throw new NotFoundError();
    this.#assertMay(principal, app.organizationId, "request");
    const text = notes?.trim() || null;
    assertValid(textErrors({ notes: text }, ["notes"]));
    if (text && text.length > NOTES_MAX) throw new ValidationError([{ path: ["notes"], code: "notes_length", message: `must be at most ${NOTES_MAX} characters` }]);
    try {
      return await this.#db.$transaction(async (tx) => {
        await lockApplication(tx, this.#provider, applicationId);
        const current = await tx.connectApplication.findUniqueOrThrow({ where: { id: applicationId }, include: APP_INCLUDE });
        const pending = (await tx.publicationRequest.count({ where: { pendingKey: applicationId } })) > 0;
        const blockers = publicationBlockers(current, pending);
        if (blockers.length > 0) throw new ValidationError(blockers);
        return openRequest(tx, principal, current, "REQUESTED", text);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ValidationError([refusal("request", ["applicationId"])]);
      throw err;
    }
  }

  /** `seenDigest`: the revisionDigest the reviewer was shown; a different current revision is refused. */
  approve(principal: Principal, requestId: string, seenDigest?: string | null) {
    return this.#decide(principal, requestId, "approve", null, seenDigest ?? null);
  }

  reject(principal: Principal, requestId: string, reason: string | null | undefined) {
    const text = reason?.trim() ?? "";
    if (!text) throw new ValidationError([{ path: ["reason"], code: "reason_required", message: "say why, so the organization knows what to change" }]);
    assertValid(textErrors({ reason: text }, ["reason"]));
    if (text.length > REASON_MAX) throw new ValidationError([{ path: ["reason"], code: "reason_length", message: `must be at most ${REASON_MAX} characters` }]);
    return this.#decide(principal, requestId, "reject", text);
  }

  withdraw(principal: Principal, requestId: string) {
    return this.#decide(principal, requestId, "withdraw", null);
  }

  /**
   * Back to PRIVATE: the approved revision is dropped, a pending change withdrawn, and people
   * outside the organization lose their consents, refresh tokens (with the access tokens issued
   * alongside) and unredeemed codes for the app.
   */
  async unpublish(principal: Principal, applicationId: string) {
    const app = await this.#db.connectApplication.findUnique({ where: { id: applicationId }, select: { organizationId: true, clientId: true } });
    if (!app || !hasRegistryScope(principal, "read") || publicationRoles(principal, app.organizationId).length === 0) throw new NotFoundError();
    this.#assertMay(principal, app.organizationId, "unpublish");
    const result = await this.#db.$transaction(async (tx) => {
      await lockApplication(tx, this.#provider, applicationId);
      const current = await tx.connectApplication.findUniqueOrThrow({ where: { id: applicationId } });
      const pending = await tx.publicationRequest.findUnique({ where: { pendingKey: applicationId } });
      const step = transition(publicationState(current.visibility, pending !== null), "unpublish", ["applicationId"]);
      if (!step.ok) throw new ValidationError([step.error]);
      if (pending) {
        await tx.publicationRequest.update({
          where: { id: pending.id },
          data: { status: "WITHDRAWN", pendingKey: null, reason: "the application was unpublished", decidedBy: principal.subject, decidedAt: new Date() },
        });
      }
      await tx.connectApplication.update({ where: { id: applicationId }, data: { visibility: visibilityOf(step.to), approvedRevision: null } });
      const members = (await tx.membership.findMany({ where: { organizationId: current.organizationId ?? "" }, select: { userId: true } })).map((m) => m.userId);
      const outside = { applicationId, userId: { notIn: members } };
      const consents = await tx.consent.deleteMany({ where: outside });
      const refreshTokensRevoked = await revokeRefreshTokensWhere(tx, this.#revocations, outside);
      await tx.authorizationCode.deleteMany({ where: { ...outside, consumedAt: null } });
      const latest = await tx.publicationRequest.findFirstOrThrow({ where: { applicationId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
      await audit(tx, principal, current.organizationId, PUBLICATION_TRANSITIONS.unpublish.event, latest.id, {
        applicationId: publicId("ConnectApplication", applicationId),
        withdrawnRequestId: pending ? publicId("PublicationRequest", pending.id) : null,
        consentsEnded: consents.count,
        refreshTokensRevoked,
      });
      return latest;
    });
    await this.#changes.announce("application", app.clientId);
    return result;
  }

  /** The one place a pending request is decided: approve, reject or withdraw. */
  async #decide(principal: Principal, requestId: string, action: "approve" | "reject" | "withdraw", reason: string | null, seenDigest: string | null = null) {
    const request = await this.#db.publicationRequest.findFirst({ where: { AND: [{ id: requestId }, visiblePublicationRequestsWhere(principal)] } });
    if (!request) throw new NotFoundError("publication request");
    this.#assertMay(principal, request.organizationId, action);
    const app = await this.#db.$transaction(async (tx) => {
      await lockApplication(tx, this.#provider, request.applicationId);
      const current = await tx.connectApplication.findUniqueOrThrow({ where: { id: request.applicationId }, include: APP_INCLUDE });
      const fresh = await tx.publicationRequest.findUniqueOrThrow({ where: { id: requestId } });
      const step = transition(publicationState(current.visibility, fresh.status === "PENDING"), action, ["requestId"]);
      if (!step.ok) throw new ValidationError([step.error]);
      const revision = revisionOf(current);
      if (action === "approve" && seenDigest !== null && seenDigest !== revisionDigest(serializeRevision(revision))) {
        throw new ValidationError([
          {
            path: ["revisionDigest"],
            code: "publication_changed_since_review",
            message: "the application's critical fields changed after this revision was shown; review the request again",
          },
        ]);
      }
      const decided = PUBLICATION_TRANSITIONS[action].request as PublicationStatus;
      // Decide once: of any number of concurrent decisions, only one finds the request PENDING
      // (PostgreSQL's row lock above already serializes them; this holds even without it).
      const claimed = await tx.publicationRequest.updateMany({
        where: { id: requestId, status: "PENDING" },
        data: {
          status: decided,
          pendingKey: null,
          reason,
          decidedBy: principal.subject,
          decidedAt: new Date(),
          ...(action === "approve" ? { proposed: serializeRevision(revision) } : {}),
        },
      });
      if (claimed.count !== 1) throw new ValidationError([refusal(action, ["requestId"])]);
      await tx.connectApplication.update({
        where: { id: current.id },
        data: {
          visibility: visibilityOf(step.to),
          // What was reviewed becomes what people outside the organization get.
          ...(action === "approve" ? { approvedRevision: serializeRevision(revision) } : {}),
        },
      });
      await audit(tx, principal, current.organizationId, PUBLICATION_TRANSITIONS[action].event, requestId, {
        applicationId: publicId("ConnectApplication", current.id),
        status: decided,
        ...(reason ? { reason } : {}),
        ...(action === "approve" ? { fields: changesBetween(parseRevision(fresh.baseline), revision).map((c) => c.field) } : {}),
      });
      return current;
    });
    await this.#changes.announce("application", app.clientId);
    return requestId;
  }

  #assertMay(principal: Principal, organizationId: string | null, action: PublicationAction): void {
    const actors: PublicationActor[] = publicationRoles(principal, organizationId);
    if (actors.some((a) => mayTake(action, a))) return;
    const operatorOnly = PUBLICATION_TRANSITIONS[action].by.includes("operator") && !PUBLICATION_TRANSITIONS[action].by.includes("owner");
    const role = operatorOnly ? "ADMIN of the operator organization" : "ADMIN of the application's organization";
    throw new ForbiddenError(role, `only an ${role} may ${action} this publication request`);
  }
}

/**
 * After a change to an application's critical fields (inside the change's transaction, the
 * application locked): a pending request follows the change so reviewers see what is current;
 * a PUBLIC app without one gets one (CRITICAL_CHANGE); a pending automatic review whose changes
 * were all undone is withdrawn. Returns whether publication changed.
 */
export async function reviewCriticalChange(tx: Tx, actor: Actor, applicationId: string): Promise<boolean> {
  const app = await tx.connectApplication.findUnique({ where: { id: applicationId }, include: APP_INCLUDE });
  if (!app) return false;
  const pending = await tx.publicationRequest.findUnique({ where: { pendingKey: applicationId } });
  if (app.visibility !== "PUBLIC" && !pending) return false;
  const revision = revisionOf(app);
  const approved: Revision | null = app.visibility === "PUBLIC" ? parseRevision(app.approvedRevision) : null;
  const changed = !approved || changesBetween(approved, revision).length > 0;
  if (pending) {
    if (!changed && pending.origin === "CRITICAL_CHANGE") {
      await tx.publicationRequest.update({
        where: { id: pending.id },
        data: { status: "WITHDRAWN", pendingKey: null, reason: "every change under review was undone", decidedAt: new Date() },
      });
      await audit(tx, null, app.organizationId, PUBLICATION_TRANSITIONS.withdraw.event, pending.id, {
        applicationId: publicId("ConnectApplication", app.id),
        status: "WITHDRAWN",
      });
      return true;
    }
    await tx.publicationRequest.update({ where: { id: pending.id }, data: { proposed: serializeRevision(revision) } });
    return false;
  }
  if (!changed) return false;
  const step = transition(publicationState(app.visibility, false), "criticalChange", ["applicationId"]);
  if (!step.ok) return false;
  await openRequest(tx, actor, app, "CRITICAL_CHANGE", null);
  return true;
}

/** Opens a PENDING request; the unique pendingKey refuses a second one, even from a concurrent transaction. */
async function openRequest(tx: Tx, actor: Actor, app: AppRow, origin: PublicationOrigin, notes: string | null) {
  const action: PublicationAction = origin === "REQUESTED" ? "request" : "criticalChange";
  // A published app is reviewed against what was approved; a first publication against nothing.
  const baseline = app.visibility === "PUBLIC" ? app.approvedRevision : null;
  const revision = revisionOf(app);
  const created = await tx.publicationRequest.create({
    data: {
      applicationId: app.id,
      organizationId: app.organizationId,
      status: "PENDING",
      origin,
      notes,
      pendingKey: app.id,
      baseline,
      proposed: serializeRevision(revision),
      requestedBy: actor?.subject ?? null,
    },
  });
  await audit(tx, actor, app.organizationId, PUBLICATION_TRANSITIONS[action].event, created.id, {
    applicationId: publicId("ConnectApplication", app.id),
    origin,
    fields: changesBetween(parseRevision(baseline), revision).map((c) => c.field),
  });
  return created;
}
