import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { ConnectedAppsQuery, RevokeConsentMutation } from "../operations.ts";
import { EmptyState, ErrorNotice } from "../components/Notice.tsx";
import { formatDate } from "../labels.ts";
import { CLIENT_ID } from "../auth.ts";
import { AppLogo } from "../components/AppLogo.tsx";

export function ConnectedAppsPage() {
  const [{ data, error }] = useQuery({ query: ConnectedAppsQuery, requestPolicy: "network-only" });
  const [{ fetching }, revoke] = useMutation(RevokeConsentMutation);
  const [status, setStatus] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  // The console itself is listed apart: revoking it would only sign this page out.
  const all = data?.viewer.connectedApplications ?? [];
  const apps = all.filter((c) => c.application.clientId !== CLIENT_ID);
  return (
    <section>
      <h1>Connected apps</h1>
      <p className="muted">Apps you have allowed to act for you. Revoking access signs the app out; it asks you again next time.</p>
      <p role="status" className={status?.kind === "error" ? "field-error" : "saved"}>
        {status?.text ?? ""}
      </p>
      {error && <ErrorNotice error={error} />}
      {data && apps.length === 0 && (
        <EmptyState title="No connected apps">
          <p>When you allow an app to use your account, it appears here and you can revoke it at any time.</p>
        </EmptyState>
      )}
      <ul className="cards">
        {apps.map((c) => (
          <li key={c.application.id} className="card" aria-label={c.application.name}>
            <div className="card-head">
              <AppLogo name={c.application.name} uri={c.application.logoUri} size={40} />
              <div>
                <h2>{c.application.name}</h2>
                <p className="muted">Allowed {formatDate(c.grantedAt)}</p>
              </div>
            </div>
            <p className="muted">You allowed it to:</p>
            <ul className="consents">
              {c.consents.map((sentence, i) => (
                <li key={c.scopes[i] ?? sentence}>{sentence}</li>
              ))}
            </ul>
            <button
              type="button"
              className="danger-button"
              disabled={fetching}
              onClick={async () => {
                const r = await revoke({ applicationId: c.application.id }, { additionalTypenames: ["ConnectedApplication"] });
                const o = r.data?.revokeConsent;
                if (o?.__typename === "RevokeConsentSuccess") setStatus({ kind: "ok", text: `Access for ${c.application.name} revoked.` });
                else setStatus({ kind: "error", text: r.error?.message ?? (o && "message" in o ? o.message : "Access could not be revoked.") });
              }}
            >
              Revoke access
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
