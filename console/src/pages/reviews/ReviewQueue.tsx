// The operators' review queue: every organization's PENDING publication requests, oldest first
// (first come, first reviewed), each opening its review.
import { useMemo } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { ReviewQueueQuery } from "../../operations.ts";
import { EmptyState, ErrorNotice } from "../../components/Notice.tsx";
import { PUBLICATION_ORIGIN_LABEL, formatDate } from "../../labels.ts";
import { useSession } from "../../session.tsx";
import { OperatorsOnly } from "./OperatorsOnly.tsx";

export function ReviewQueuePage() {
  const { isOperatorAdmin } = useSession();
  if (!isOperatorAdmin) return <OperatorsOnly title="Review queue" />;
  return <Queue />;
}

function Queue() {
  const context = useMemo(() => ({ additionalTypenames: ["PublicationRequest"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: ReviewQueueQuery, context, requestPolicy: "cache-and-network" });
  if (error) return <ErrorNotice error={error} />;
  const pending = [...(data?.publicationRequests ?? [])].reverse();
  return (
    <section>
      <div className="page-head">
        <h1>Review queue</h1>
      </div>
      <p className="muted">Applications waiting for an operator to publish them, or to approve a change to a published one. Oldest first.</p>
      {fetching && !data ? (
        <p aria-live="polite">Loading requests…</p>
      ) : pending.length === 0 ? (
        <EmptyState title="Nothing to review">
          <p>When an organization asks to publish an application, or changes a published one, the request appears here.</p>
        </EmptyState>
      ) : (
        <table className="list">
          <caption className="visually-hidden">Pending publication requests</caption>
          <thead>
            <tr>
              <th scope="col">Application</th>
              <th scope="col">Organization</th>
              <th scope="col">Origin</th>
              <th scope="col">Requested</th>
              <th scope="col">Notes</th>
            </tr>
          </thead>
          <tbody>
            {pending.map((r) => (
              <tr key={r.id}>
                <td data-label="Application">
                  <Link to={`/reviews/${encodeURIComponent(r.id)}`}>{r.application.name}</Link>
                </td>
                <td data-label="Organization">{r.application.organization?.name ?? "—"}</td>
                <td data-label="Origin">{PUBLICATION_ORIGIN_LABEL[r.origin]}</td>
                <td data-label="Requested">{formatDate(r.createdAt)}</td>
                <td data-label="Notes" className="notes-cell">
                  {r.notes ?? <span className="muted">—</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
