import * as Tabs from "@radix-ui/react-tabs";
import { useEffect, useMemo } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useQuery } from "urql";
import { ApplicationQuery } from "../operations.ts";
import { AppLogo } from "../components/AppLogo.tsx";
import { CopyButton } from "../components/CopyButton.tsx";
import { ErrorNotice } from "../components/Notice.tsx";
import { PLATFORM_LABEL, TYPE_LABEL, VISIBILITY_LABEL } from "../labels.ts";
import { SettingsTab } from "./application/SettingsTab.tsx";
import { CredentialsTab } from "./application/CredentialsTab.tsx";
import { PermissionsTab } from "./application/PermissionsTab.tsx";
import { PublicationTab } from "./application/PublicationTab.tsx";
import { ActivityTab } from "./application/ActivityTab.tsx";

const TABS = [
  ["settings", "Settings"],
  ["credentials", "Credentials"],
  ["permissions", "Permissions"],
  ["publication", "Publication"],
  ["activity", "Activity"],
] as const;

export function ApplicationPage() {
  const { id = "", tab = "settings" } = useParams();
  const navigate = useNavigate();
  // Its secrets and grants may be empty, so their typenames are named for the cache to know
  // that adding one changes this page.
  const context = useMemo(() => ({ additionalTypenames: ["ClientSecret", "ScopeGrant"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: ApplicationQuery, variables: { id }, context });
  const app = data?.application;
  // On a narrow screen the tab list scrolls sideways: keep the open tab in sight (a link may open any).
  const loaded = Boolean(app);
  useEffect(() => {
    document.querySelector(".tabs [data-state=active]")?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [tab, loaded]);

  if (error) return <ErrorNotice error={error} />;
  if (fetching && !data) return <p aria-live="polite">Loading application…</p>;
  if (!app) {
    return (
      <section>
        <h1>Application not found</h1>
        <p>
          It was deleted, or it belongs to an organization you do not administer. Back to <Link to="/applications">Applications</Link>.
        </p>
      </section>
    );
  }
  const current = TABS.some(([key]) => key === tab) ? tab : "settings";
  return (
    <section>
      <p className="crumbs">
        <Link to="/applications">Applications</Link> /
      </p>
      <div className="app-head">
        <AppLogo name={app.name} uri={app.logoUri} size={48} />
        <div>
          <h1>{app.name}</h1>
          <p className="meta">
            {TYPE_LABEL[app.applicationType]}
            {app.platform ? ` · ${PLATFORM_LABEL[app.platform]}` : ""} · {VISIBILITY_LABEL[app.visibility]}
            {app.isFirstParty ? " · First-party" : ""}
            {app.registeredDynamically ? " · Registered dynamically" : ""}
            {app.organization ? ` · ${app.organization.name}` : ""}
          </p>
        </div>
      </div>
      <div className="client-id">
        <span className="label" id="client-id-label">
          Client ID
        </span>
        <code aria-labelledby="client-id-label">{app.clientId}</code>
        <CopyButton value={app.clientId} />
      </div>
      <Tabs.Root value={current} onValueChange={(value) => navigate(`/applications/${encodeURIComponent(app.id)}/${value}`, { replace: true })}>
        <Tabs.List className="tabs" aria-label="Application sections">
          {TABS.map(([key, label]) => (
            <Tabs.Trigger key={key} value={key} className="tab">
              {label}
            </Tabs.Trigger>
          ))}
        </Tabs.List>
        <Tabs.Content value="settings" className="tab-panel">
          <SettingsTab app={app} />
        </Tabs.Content>
        <Tabs.Content value="credentials" className="tab-panel">
          <CredentialsTab app={app} />
        </Tabs.Content>
        <Tabs.Content value="permissions" className="tab-panel">
          <PermissionsTab app={app} />
        </Tabs.Content>
        <Tabs.Content value="publication" className="tab-panel">
          <PublicationTab app={app} />
        </Tabs.Content>
        <Tabs.Content value="activity" className="tab-panel">
          <ActivityTab app={app} />
        </Tabs.Content>
      </Tabs.Root>
    </section>
  );
}
