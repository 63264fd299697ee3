import { useDeferredValue, useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { ApplicationsQuery } from "../operations.ts";
import { useSession } from "../session.tsx";
import { EmptyState, ErrorNotice } from "../components/Notice.tsx";
import { PLATFORM_LABEL, TYPE_LABEL, VISIBILITY_LABEL } from "../labels.ts";
import type { ApplicationType } from "../gql/graphql.ts";

export function ApplicationsPage() {
  const { organization } = useSession();
  if (!organization) {
    return (
      <section>
        <h1>Applications</h1>
        <EmptyState title="You do not administer any organization">
          <p>
            Applications are managed by the administrators of an organization. You can still see and revoke the apps you have
            signed in to under <Link to="/connected-apps">Connected apps</Link>.
          </p>
        </EmptyState>
      </section>
    );
  }
  return <ApplicationList organizationId={organization.id} />;
}

function ApplicationList({ organizationId }: { organizationId: string }) {
  const { isOperatorAdmin } = useSession();
  const [search, setSearch] = useState("");
  const [type, setType] = useState<"" | ApplicationType>("");
  const deferredSearch = useDeferredValue(search.trim());
  // Operator admins also see first-party apps, which belong to no organization.
  const [{ data, error, fetching }] = useQuery({
    query: ApplicationsQuery,
    variables: {
      organizationId: isOperatorAdmin ? null : organizationId,
      search: deferredSearch || null,
      applicationType: type || null,
    },
  });
  const apps = data?.applications.edges.map((e) => e.node) ?? [];
  const filtered = Boolean(deferredSearch || type);

  return (
    <section>
      <div className="page-head">
        <h1>Applications</h1>
        <Link className="button primary" to="/applications/new">
          Create application
        </Link>
      </div>
      <div className="filters" role="search">
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Name, description or client ID" />
        </label>
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value as "" | ApplicationType)}>
            <option value="">All types</option>
            <option value="OAUTH">OAuth</option>
            <option value="M2M">M2M</option>
          </select>
        </label>
      </div>
      {error && <ErrorNotice error={error} />}
      {!error && fetching && !data && <p aria-live="polite">Loading applications…</p>}
      {data && apps.length === 0 && (
        <EmptyState title={filtered ? "No application matches" : "No applications yet"}>
          <p>
            {filtered ? (
              "Try another search or type, or clear the filters."
            ) : (
              <>
                Register your first application: <Link to="/applications/new">Create application</Link>.
              </>
            )}
          </p>
        </EmptyState>
      )}
      {apps.length > 0 && (
        <table className="list">
          <caption className="visually-hidden">Applications</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Platform</th>
              <th scope="col">Client ID</th>
              <th scope="col">Visibility</th>
            </tr>
          </thead>
          <tbody>
            {apps.map((app) => (
              <tr key={app.id}>
                <td data-label="Name">
                  <Link to={`/applications/${encodeURIComponent(app.id)}`}>{app.name}</Link>
                  {app.isFirstParty && <span className="badge">First-party</span>}
                </td>
                <td data-label="Type">{TYPE_LABEL[app.applicationType]}</td>
                <td data-label="Platform">{app.platform ? PLATFORM_LABEL[app.platform] : "—"}</td>
                <td data-label="Client ID">
                  <code>{app.clientId}</code>
                </td>
                <td data-label="Visibility">{VISIBILITY_LABEL[app.visibility]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
