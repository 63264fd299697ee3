import { useEffect, useMemo, useState } from "react";
import { Navigate, NavLink, Outlet } from "react-router";
import { useQuery } from "urql";
import { currentAccessToken, signIn, signOut } from "../auth.ts";
import { ViewerQuery } from "../operations.ts";
import { SessionContext, useSession, type Membership, type Session } from "../session.tsx";
import { ErrorNotice } from "./Notice.tsx";

/** The signed-in frame: header, navigation and the current page. Signs in first when needed. */
export function Shell() {
  const [ready] = useState(() => currentAccessToken() !== null);
  useEffect(() => {
    if (!ready) void signIn();
  }, [ready]);
  if (!ready) {
    return (
      <main className="center-card">
        <p aria-live="polite">Redirecting to sign-in…</p>
      </main>
    );
  }
  return <SignedIn />;
}

function SignedIn() {
  const [{ data, error, fetching }] = useQuery({ query: ViewerQuery, requestPolicy: "network-only" });
  const [chosen, setChosen] = useState<string | null>(null);
  const memberships = (data?.viewer.memberships ?? []) as Membership[];
  const adminOf = memberships.filter((m) => m.role === "ADMIN");
  const session: Session = useMemo(() => {
    const organization = adminOf.find((m) => m.organization.id === chosen)?.organization ?? adminOf[0]?.organization ?? null;
    return {
      email: data?.viewer.email ?? null,
      memberships,
      organization,
      setOrganizationId: setChosen,
      isOperatorAdmin: adminOf.some((m) => m.organization.isOperator),
    };
  }, [data, chosen]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <SessionContext.Provider value={session}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span aria-hidden="true" className="logo">
            ◆
          </span>
          Scopekeeper
        </div>
        <nav aria-label="Main">
          {session.organization && (
            <>
              <NavLink to="/applications">Applications</NavLink>
              <NavLink to="/members">Members</NavLink>
              <NavLink to="/identity-providers">Identity providers</NavLink>
            </>
          )}
          {session.isOperatorAdmin && <NavLink to="/organizations">Organizations</NavLink>}
          {session.isOperatorAdmin && <NavLink to="/reviews">Review queue</NavLink>}
          <NavLink to="/connected-apps">Connected apps</NavLink>
        </nav>
        <div className="account">
          {adminOf.length > 1 && (
            <label className="org-switch">
              <span className="visually-hidden">Organization</span>
              <select value={session.organization?.id ?? ""} onChange={(e) => setChosen(e.target.value)}>
                {adminOf.map((m) => (
                  <option key={m.organization.id} value={m.organization.id}>
                    {m.organization.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {adminOf.length === 1 && <span className="org-name">{session.organization?.name}</span>}
          <button type="button" className="link" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {error ? <ErrorNotice error={error} /> : fetching && !data ? <p aria-live="polite">Loading…</p> : <Outlet />}
      </main>
    </SessionContext.Provider>
  );
}

/** Where /console opens: an ADMIN on the applications, anyone else on the apps they connected. */
export function Landing() {
  const { organization } = useSession();
  return <Navigate to={organization ? "/applications" : "/connected-apps"} replace />;
}
