// The diff under review: each critical field with its approved and proposed values, what was
// added and removed marked in words (not colour alone), for the organization and the reviewers.
import { REVISION_FIELD_LABEL } from "../labels.ts";

export interface RevisionChange {
  field: string;
  approved?: readonly string[] | null;
  proposed: readonly string[];
  added: readonly string[];
  removed: readonly string[];
}

const SWITCHES = new Set(["onBehalfOfEnabled", "tokenExchange.enabled"]);

function Values({ field, values, marked, mark }: { field: string; values: readonly string[]; marked: readonly string[]; mark: "added" | "removed" }) {
  if (values.length === 0) return <span className="muted">None</span>;
  if (SWITCHES.has(field)) return <>{values[0] === "true" ? "On" : "Off"}</>;
  return (
    <ul className="values">
      {values.map((v) => {
        const changed = marked.includes(v);
        const Tag = mark === "added" ? "ins" : "del";
        return (
          <li key={v}>
            {changed ? <Tag>{v}</Tag> : v}
            {changed && <span className={`badge ${mark === "added" ? "ok-badge" : "danger-badge"}`}>{mark}</span>}
          </li>
        );
      })}
    </ul>
  );
}

export function PublicationDiff({ changes, caption }: { changes: readonly RevisionChange[]; caption: string }) {
  const first = changes.every((c) => c.approved == null);
  if (changes.length === 0) return <p className="muted">No critical field differs from the approved revision.</p>;
  return (
    <table className="list diff">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Approved</th>
          <th scope="col">Proposed</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.field}>
            <th scope="row" data-label="">
              {REVISION_FIELD_LABEL[c.field] ?? c.field}
            </th>
            <td data-label="Approved">
              <div>
                {c.approved == null ? (
                  <span className="muted">{first ? "Not published yet" : "—"}</span>
                ) : (
                  <Values field={c.field} values={c.approved} marked={c.removed} mark="removed" />
                )}
              </div>
            </td>
            <td data-label="Proposed">
              <div>
                <Values field={c.field} values={c.proposed} marked={c.approved == null ? [] : c.added} mark="added" />
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
