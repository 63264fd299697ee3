import { useQuery } from "urql";
import { AuditEventsQuery } from "../../operations.ts";
import { EmptyState, ErrorNotice } from "../../components/Notice.tsx";
import { formatDate } from "../../labels.ts";
import type { AuditEventsQuery as AuditEventsResult, ConsoleApplicationFieldsFragment } from "../../gql/graphql.ts";

type Actor = AuditEventsResult["auditEvents"]["edges"][number]["node"]["actor"];

/** People by name and email, applications by name: ids only when nothing else is known. */
function actorText(actor: Actor): string {
  if (actor.kind === "SYSTEM" || !actor.id) return "the system";
  if (actor.kind === "USER") {
    if (actor.name && actor.email) return `${actor.name} (${actor.email})`;
    return actor.email ?? actor.name ?? "a person who no longer exists";
  }
  return actor.name ? `${actor.name} (${actor.id})` : `application ${actor.id}`;
}

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
              <span className="muted actor">by {actorText(e.actor)}</span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
