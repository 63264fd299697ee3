// How enum values read to people.
export const TYPE_LABEL: Record<string, string> = { OAUTH: "OAuth", M2M: "M2M" };
export const PLATFORM_LABEL: Record<string, string> = { WEB: "Web", SPA: "SPA", NATIVE: "Native" };
export const VISIBILITY_LABEL: Record<string, string> = { PRIVATE: "Private", PUBLIC: "Public" };

export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export const PUBLICATION_STATUS_LABEL: Record<string, string> = {
  PENDING: "Pending review",
  APPROVED: "Approved",
  REJECTED: "Rejected",
  WITHDRAWN: "Withdrawn",
};
export const PUBLICATION_STATUS_BADGE: Record<string, string> = {
  PENDING: "badge warn-badge",
  APPROVED: "badge ok-badge",
  REJECTED: "badge danger-badge",
  WITHDRAWN: "badge muted-badge",
};
export const PUBLICATION_ORIGIN_LABEL: Record<string, string> = {
  REQUESTED: "Requested by an admin",
  CRITICAL_CHANGE: "Opened by a change to a critical field",
};
/** The critical fields of a publication diff, as the Settings form names them. */
export const REVISION_FIELD_LABEL: Record<string, string> = {
  name: "Name",
  logoUri: "Logo URL",
  redirectUris: "Redirect URIs",
  delegatedScopes: "Delegated scopes",
  onBehalfOfEnabled: "On-behalf-of",
  "tokenExchange.enabled": "Token exchange",
};
