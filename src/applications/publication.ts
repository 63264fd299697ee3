// Publication as a state machine: the one table below says which transitions exist, who may
// take them, and what they do to the application's visibility and to the request. The use
// cases (publication-service.ts) ask this table and never decide on their own.
import type { FieldError } from "./rules.ts";
import { PUBLICATION_LIMITS } from "./limits.ts";

export type Visibility = "PRIVATE" | "PUBLIC";
export type PublicationStatus = "PENDING" | "APPROVED" | "REJECTED" | "WITHDRAWN";
export const PUBLICATION_STATUSES: readonly PublicationStatus[] = ["PENDING", "APPROVED", "REJECTED", "WITHDRAWN"];
/** REQUESTED: an admin asked (requestPublication); CRITICAL_CHANGE: a change to a PUBLIC app opened it. */
export type PublicationOrigin = "REQUESTED" | "CRITICAL_CHANGE";

/** An application's publication state: its visibility and whether a request is pending. */
export type PublicationState = "PRIVATE" | "PRIVATE_PENDING" | "PUBLIC" | "PUBLIC_PENDING";

/**
 * owner: an ADMIN of the application's organization; operator: an ADMIN of the operator
 * organization; system: the server itself, after a change to a critical field.
 */
export type PublicationActor = "owner" | "operator" | "system";

export type PublicationAction = "request" | "criticalChange" | "approve" | "reject" | "withdraw" | "unpublish";

interface Transition {
  by: readonly PublicationActor[];
  /** State before -> state after; a state not listed here refuses the action. */
  from: Partial<Record<PublicationState, PublicationState>>;
  /** What the pending request becomes (request/criticalChange: the new request's status). */
  request: PublicationStatus | null;
  /** The audit action recorded for the step. */
  event: string;
}

export const PUBLICATION_TRANSITIONS: Readonly<Record<PublicationAction, Transition>> = {
  request: { by: ["owner"], from: { PRIVATE: "PRIVATE_PENDING", PUBLIC: "PUBLIC_PENDING" }, request: "PENDING", event: "publication.requested" },
  criticalChange: { by: ["system"], from: { PUBLIC: "PUBLIC_PENDING" }, request: "PENDING", event: "publication.requested" },
  approve: { by: ["operator"], from: { PRIVATE_PENDING: "PUBLIC", PUBLIC_PENDING: "PUBLIC" }, request: "APPROVED", event: "publication.approved" },
  reject: { by: ["operator"], from: { PRIVATE_PENDING: "PRIVATE", PUBLIC_PENDING: "PUBLIC" }, request: "REJECTED", event: "publication.rejected" },
  withdraw: { by: ["owner", "system"], from: { PRIVATE_PENDING: "PRIVATE", PUBLIC_PENDING: "PUBLIC" }, request: "WITHDRAWN", event: "publication.withdrawn" },
  // Unpublishing also withdraws a pending change: there is nothing left to review.
  unpublish: { by: ["owner", "operator"], from: { PUBLIC: "PRIVATE", PUBLIC_PENDING: "PRIVATE" }, request: "WITHDRAWN", event: "publication.unpublished" },
};

export function publicationState(visibility: string, hasPending: boolean): PublicationState {
  const base: Visibility = visibility === "PUBLIC" ? "PUBLIC" : "PRIVATE";
  return hasPending ? `${base}_PENDING` : base;
}

export function visibilityOf(state: PublicationState): Visibility {
  return state.startsWith("PUBLIC") ? "PUBLIC" : "PRIVATE";
}

/** Why an action is refused in a state, as a stable code and a sentence. */
const REFUSALS: Record<PublicationAction, { code: string; message: string }> = {
  request: { code: "publication_pending", message: "a publication request is already pending for this application" },
  criticalChange: { code: "publication_not_public", message: "only changes to a PUBLIC application are reviewed" },
  approve: { code: "publication_not_pending", message: "this request is no longer pending: it was already decided or withdrawn" },
  reject: { code: "publication_not_pending", message: "this request is no longer pending: it was already decided or withdrawn" },
  withdraw: { code: "publication_not_pending", message: "this request is no longer pending: it was already decided or withdrawn" },
  unpublish: { code: "application_not_public", message: "this application is not published" },
};

export type TransitionResult = { ok: true; to: PublicationState } | { ok: false; error: FieldError };

/** The state after `action`, or the refusal with its code; `path` names the input field concerned. */
export function transition(state: PublicationState, action: PublicationAction, path: string[]): TransitionResult {
  const to = PUBLICATION_TRANSITIONS[action].from[state];
  if (to) return { ok: true, to };
  return { ok: false, error: refusal(action, path) };
}

/** The refusal of `action` where it does not apply (a decided request, an unpublished app...). */
export function refusal(action: PublicationAction, path: string[]): FieldError {
  return { path, ...REFUSALS[action] };
}

export function mayTake(action: PublicationAction, actor: PublicationActor): boolean {
  return PUBLICATION_TRANSITIONS[action].by.includes(actor);
}

/** The table as a Mermaid state diagram, for the README (a test keeps the two in step). */
export function publicationStateDiagram(): string {
  const lines = ["stateDiagram-v2", "    [*] --> PRIVATE"];
  for (const [action, t] of Object.entries(PUBLICATION_TRANSITIONS)) {
    for (const [from, to] of Object.entries(t.from)) {
      lines.push(`    ${from} --> ${to}: ${action} (${t.by.join(", ")})`);
    }
  }
  return lines.join("\n");
}

export interface ReadinessSource {
  applicationType: string;
  isFirstParty: boolean;
  organizationId: string | null;
  description: string | null;
  logoUri: string | null;
  termsOfServiceUri: string | null;
  privacyPolicyUri: string | null;
  redirectUris: { kind: string }[];
}

/**
 * Everything an application lacks to be reviewed for publication, all at once (never only the
 * first problem). Paths name the application's fields.
 */
export function publicationRequirements(app: ReadinessSource): FieldError[] {
  const missing: FieldError[] = [];
  const need = (path: string, code: string, message: string) => missing.push({ path: [path], code, message });
  if (app.applicationType !== "OAUTH") need("applicationType", "publication_oauth_only", "only OAUTH applications are authorized by people, so only they are published");
  if (app.isFirstParty || !app.organizationId) need("isFirstParty", "publication_first_party", "first-party applications are the operator's and open to everyone already");
  if (!app.logoUri) need("logoUri", "logo_uri_required", "a logo URL is required to publish");
  if (!app.termsOfServiceUri) need("termsOfServiceUri", "terms_of_service_uri_required", "a terms of service URL is required to publish");
  if (!app.privacyPolicyUri) need("privacyPolicyUri", "privacy_policy_uri_required", "a privacy policy URL is required to publish");
  if (!app.description?.trim()) need("description", "description_required", "a description is required to publish");
  if (!app.redirectUris.some((r) => r.kind === "REDIRECT")) need("redirectUris", "redirect_uri_required", "at least one redirect URI is required to publish");
  return missing;
}

export const NOTES_MAX = PUBLICATION_LIMITS.notesMax;
export const REASON_MAX = PUBLICATION_LIMITS.reasonMax;
