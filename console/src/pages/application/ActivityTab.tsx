import { useQuery } from "urql";
import { AuditEventsQuery, MembersQuery } from "../../operations.ts";
import { EmptyState, ErrorNotice } from "../../components/Notice.tsx";
import { formatDate } from "../../labels.ts";
import type { ConsoleApplicationFieldsFragment } from "../../gql/graphql.ts";

/** Public ids carry a type prefix (app_...); audit details may hold either form. */
const bare = (id: string | null | undefined) => (id ?? "").replace(/^[a-z]+_/, "");

const ACTION_LABEL: Record<string, string> = {
  "application.created": "Application created",
  "application.updated": "Settings changed",
  "application.deleted": "Application deleted",
  "client_secret.created": "Secret added",
  "client_secret.revoked": "Secret revoked",
  "scopes.granted": "Permissions granted",
  "scopes.revoked": "Permissions revoked",
};

function summary(details: string): string {
  try {
    const d = JSON.parse(details) as Record<string, unknown>;
    const parts: string[] = [];
    if (Array.isArray(d.scopes) && d.scopes.length) parts.push(d.scopes.join(", "));
    if (typeof d.kind === "string") parts.push(d.kind.toLowerCase());
    if (typeof d.hint === "string") parts.push(`secret …${d.hint}`);
    if (Array.isArray(d.fields) && d.fields.length) parts.push(d.fields.join(", "));
    return parts.join(" · ");
  } catch {
    return "";
  }
}

export function ActivityTab({ app }: { app: ConsoleApplicationFieldsFragment }) {
  const [{ data, error }] = useQuery({ query: AuditEventsQuery, variables: { applicationId: app.id }, requestPolicy: "network-only" });
  // People are named by their email rather than their usr_ id, when they are members here.
  const [members] = useQuery({ query: MembersQuery, variables: { organizationId: app.organization?.id ?? "" }, pause: !app.organization });
  const emailOf = new Map((members.data?.organization?.members ?? []).map((m) => [m.userId, m.email]));
  if (error) return <ErrorNotice error={error} />;
  if (!data) return <p aria-live="polite">Loading activity…</p>;
  const mine = data.auditEvents.edges
    .map((e) => e.node)
    .filter((e) => {
      if (bare(e.targetId) === bare(app.id)) return true;
      try {
        return bare(String((JSON.parse(e.details) as { applicationId?: unknown }).applicationId ?? "")) === bare(app.id);
      } catch {
        return false;
      }
    });
  return (
    <>
      <h2>Activity</h2>
      {mine.length === 0 ? (
        <EmptyState title="No activity recorded yet" />
      ) : (
        <ol className="timeline">
          {mine.map((e) => (
            <li key={e.id}>
              <time dateTime={e.createdAt}>{formatDate(e.createdAt)}</time>
              <strong>{ACTION_LABEL[e.action] ?? e.action}</strong>
              <span className="muted">{summary(e.details)}</span>
              <span className="muted actor">
                by {e.actorType === "USER" ? (emailOf.get(e.actorId ?? "") ?? e.actorId) : `${e.actorType.toLowerCase()} ${e.actorId ?? ""}`}
              </span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
