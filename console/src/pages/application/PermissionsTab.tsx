import { useEffect, useMemo, useState } from "react";
import { useClient, useQuery } from "urql";
import { ApplicationQuery, GrantScopesMutation, RevokeScopesMutation, ScopeCatalogQuery } from "../../operations.ts";
import { ErrorNotice } from "../../components/Notice.tsx";
import type { ConsoleApplicationFieldsFragment, PermissionKind } from "../../gql/graphql.ts";

const key = (kind: PermissionKind, scope: string) => `${kind} ${scope}`;

export function PermissionsTab({ app }: { app: ConsoleApplicationFieldsFragment }) {
  const client = useClient();
  const [{ data, error }] = useQuery({ query: ScopeCatalogQuery, requestPolicy: "cache-first" });
  const granted = useMemo(() => new Set(app.scopeGrants.map((g) => key(g.kind, g.scope.name))), [app.scopeGrants]);
  const [ticked, setTicked] = useState<Set<string>>(granted);
  const [status, setStatus] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => setTicked(new Set(granted)), [granted]);

  // Which kinds this app may hold: M2M apps act only as themselves, public clients only for people.
  const kinds: PermissionKind[] =
    app.applicationType === "M2M" ? ["APPLICATION"] : app.confidential ? ["DELEGATED", "APPLICATION"] : ["DELEGATED"];
  const changed = ticked.size !== granted.size || [...ticked].some((k) => !granted.has(k));

  if (error) return <ErrorNotice error={error} />;
  if (!data) return <p aria-live="polite">Loading the scope catalog…</p>;

  const save = async () => {
    setSaving(true);
    setStatus(null);
    const problems: string[] = [];
    for (const kind of kinds) {
      const want = [...ticked].filter((k) => k.startsWith(`${kind} `)).map((k) => k.slice(kind.length + 1));
      const have = [...granted].filter((k) => k.startsWith(`${kind} `)).map((k) => k.slice(kind.length + 1));
      const add = want.filter((s) => !have.includes(s));
      const remove = have.filter((s) => !want.includes(s));
      if (remove.length) {
        const r = await client.mutation(RevokeScopesMutation, { input: { applicationId: app.id, scopes: remove, kind } }).toPromise();
        const o = r.data?.revokeScopes;
        if (r.error || (o && o.__typename !== "RevokeScopesSuccess")) problems.push(r.error?.message ?? (o && "message" in o ? o.message : ""));
      }
      if (add.length) {
        const r = await client.mutation(GrantScopesMutation, { input: { applicationId: app.id, scopes: add, kind } }).toPromise();
        const o = r.data?.grantScopes;
        if (r.error || (o && o.__typename !== "GrantScopesSuccess")) problems.push(r.error?.message ?? (o && "message" in o ? o.message : ""));
      }
    }
    // The application reloads (its typename is in the results), so the boxes show what is granted now.
    await client.query(ApplicationQuery, { id: app.id }, { requestPolicy: "network-only" }).toPromise();
    setSaving(false);
    setStatus(problems.length ? { kind: "error", text: problems.join(" ") } : { kind: "ok", text: "Permissions saved." });
  };

  return (
    <div className="permissions">
      <p className="muted">
        Tick what this application may ask for. {kinds.includes("DELEGATED") && "Delegated permissions act for a signed-in person, who consents to them. "}
        {kinds.includes("APPLICATION") && "Application permissions let it act as itself (client credentials)."}
      </p>
      {data.scopeCatalog.map((hub) => {
        const groups = kinds
          .map((kind) => ({ kind, scopes: hub.scopes.filter((s) => s.kinds.includes(kind)) }))
          .filter((g) => g.scopes.length > 0);
        if (groups.length === 0) return null;
        const headingId = `hub-${hub.id}`;
        return (
          <section key={hub.id} className="hub" aria-labelledby={headingId}>
            <h2 id={headingId}>{hub.name}</h2>
            {hub.description && <p className="muted">{hub.description}</p>}
            <div className="hub-groups">
              {groups.map(({ kind, scopes }) => (
                <fieldset key={kind} className="scope-group">
                  <legend>{kind === "DELEGATED" ? "Delegated permissions" : "Application permissions"}</legend>
                  {scopes.map((scope) => {
                    const k = key(kind, scope.name);
                    const id = `scope-${kind}-${scope.name}`;
                    const blocked = kind === "DELEGATED" && scope.onBehalfOf && !app.onBehalfOfEnabled && !ticked.has(k);
                    return (
                      <div key={k} className="scope">
                        <input
                          id={id}
                          type="checkbox"
                          checked={ticked.has(k)}
                          disabled={blocked}
                          aria-describedby={`${id}-desc`}
                          onChange={(e) => {
                            const next = new Set(ticked);
                            if (e.target.checked) next.add(k);
                            else next.delete(k);
                            setTicked(next);
                            setStatus(null);
                          }}
                        />
                        <div>
                          <label htmlFor={id}>
                            <code>{scope.name}</code>
                          </label>
                          <p className="hint" id={`${id}-desc`}>
                            {kind === "DELEGATED" && scope.onBehalfOf && <span className="badge">On-behalf-of</span>} {scope.description}
                            {blocked && " Turn on On-behalf-of in Settings to grant it."}
                          </p>
                        </div>
                      </div>
                    );
                  })}
                </fieldset>
              ))}
            </div>
          </section>
        );
      })}
      <div className="actions sticky-actions">
        <span role="status" className={status?.kind === "error" ? "field-error" : "saved"}>
          {status?.text ?? (changed ? "Unsaved changes." : "")}
        </span>
        <button type="button" className="primary" disabled={!changed || saving} onClick={() => void save()}>
          {saving ? "Saving…" : "Save permissions"}
        </button>
      </div>
    </div>
  );
}
