import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useMutation } from "urql";
import { AddSecretMutation, RevokeSecretMutation } from "../../operations.ts";
import { PublicKeys, PublicKeysForm } from "./PublicKeys.tsx";
import { CopyButton } from "../../components/CopyButton.tsx";
import { Field } from "../../components/Field.tsx";
import { Modal, CloseButton } from "../../components/Modal.tsx";
import { ConfirmDialog, failureOf } from "../../components/ConfirmDialog.tsx";
import { EmptyState } from "../../components/Notice.tsx";
import { formatDate } from "../../labels.ts";
import { Endpoints } from "./Endpoints.tsx";
import { placeServerErrors } from "../../components/form.ts";
import { LIMITS, secretForm, type SecretFormValues } from "../../rules.ts";
import type { ConsoleApplicationFieldsFragment } from "../../gql/graphql.ts";

type Secret = ConsoleApplicationFieldsFragment["clientSecrets"][number];

export function CredentialsTab({ app }: { app: ConsoleApplicationFieldsFragment }) {
  const [adding, setAdding] = useState(false);
  const [revoking, setRevoking] = useState<Secret | null>(null);
  const [switching, setSwitching] = useState(false);
  /** What the last switch between secrets and public keys did, for the view it led to. */
  const [switched, setSwitched] = useState("");
  if (!app.confidential) {
    return (
      <>
        <Endpoints app={app} />
        <h2>Client secrets</h2>
        <EmptyState title="This application has no secrets">
          <p>
            {app.platform === "SPA" ? "Single-page" : "Native"} apps are public clients: they cannot keep a secret, so they sign in with
            PKCE and their client ID alone.
          </p>
        </EmptyState>
      </>
    );
  }
  if (app.tokenEndpointAuthMethod === "PRIVATE_KEY_JWT") {
    return (
      <>
        <Endpoints app={app} />
        <PublicKeys app={app} initialStatus={switched} onSwitchedToSecrets={setSwitched} />
      </>
    );
  }
  const secrets = app.clientSecrets;
  return (
    <>
      <Endpoints app={app} />
      <div className="section-head">
        <h2>Client secrets</h2>
        <button type="button" className="primary" onClick={() => (setAdding(true), setSwitched(""))}>
          Add secret
        </button>
      </div>
      <p role="status" className="saved">
        {switched}
      </p>
      {secrets.length === 0 ? (
        <EmptyState title="No secrets yet">
          <p>Add a secret to let this application authenticate at the token endpoint. You will see it once.</p>
        </EmptyState>
      ) : (
        <table className="list">
          <caption className="visually-hidden">Client secrets</caption>
          <thead>
            <tr>
              <th scope="col">Description</th>
              <th scope="col">Hint</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {secrets.map((s) => (
              <tr key={s.id} className={s.active ? "" : "inactive"}>
                <td data-label="Description">{s.description || <span className="muted">No description</span>}</td>
                <td data-label="Hint">
                  <code>…{s.hint}</code>
                </td>
                <td data-label="Created">{formatDate(s.createdAt)}</td>
                <td data-label="Expires">
                  {s.expiresAt ? formatDate(s.expiresAt) : "Never"}
                  {s.active && !s.revokedAt && expiresSoon(s.expiresAt) && <span className="badge warn-badge">Expires soon</span>}
                </td>
                <td data-label="Last used">
                  {s.lastUsedAt ? formatDate(s.lastUsedAt) : <span className="badge muted-badge">Never used</span>}
                </td>
                <td data-label="">
                  {s.revokedAt ? (
                    <span className="badge muted-badge">Revoked</span>
                  ) : !s.active ? (
                    <span className="badge muted-badge">Expired</span>
                  ) : (
                    <button type="button" className="danger-button small" onClick={() => setRevoking(s)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {switching ? (
        <PublicKeysForm
          app={app}
          switchFrom={{ activeSecrets: secrets.filter((s) => s.active).length }}
          onDone={(message) => {
            setSwitching(false);
            setSwitched(message ?? "");
          }}
        />
      ) : (
        <div className="auth-switch">
          <p>
            Or let the application prove itself with its own key pair (<code>private_key_jwt</code>, RFC 7523): it registers public keys and keeps no
            secret.
          </p>
          <button type="button" onClick={() => (setSwitching(true), setSwitched(""))}>
            Use public keys instead
          </button>
        </div>
      )}
      <AddSecretDialog applicationId={app.id} open={adding} onOpenChange={setAdding} />
      <RevokeSecretDialog secret={revoking} onClose={() => setRevoking(null)} />
    </>
  );
}

/** Within 30 days: time to add the next secret and roll the application over to it. */
const SOON_MS = 30 * 86_400_000;
function expiresSoon(expiresAt: string | null | undefined): boolean {
  return Boolean(expiresAt) && new Date(expiresAt!).getTime() - Date.now() < SOON_MS;
}

function AddSecretDialog({ applicationId, open, onOpenChange }: { applicationId: string; open: boolean; onOpenChange(open: boolean): void }) {
  const [plaintext, setPlaintext] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [, add] = useMutation(AddSecretMutation);
  const { register, handleSubmit, setError, reset, formState } = useForm<SecretFormValues>({ defaultValues: SECRET_DEFAULTS, resolver: zodResolver(secretForm) });

  const close = (next: boolean) => {
    onOpenChange(next);
    if (!next) {
      // The plaintext exists only in this dialog: closing it forgets it for good.
      setPlaintext(null);
      setProblem(null);
      reset(SECRET_DEFAULTS);
    }
  };
  const submit = handleSubmit(async (values) => {
    setProblem(null);
    const expiresInDays = values.expiresInDays.trim() === "" ? null : Number(values.expiresInDays);
    const result = await add({ input: { applicationId, description: values.description.trim() || null, expiresInDays } }, { additionalTypenames: ["ClientSecret"] });
    const outcome = result.data?.addClientSecret;
    if (outcome?.__typename === "AddClientSecretSuccess") return setPlaintext(outcome.plaintext);
    setProblem(placeServerErrors(result, outcome, setError, { description: "description", expiresInDays: "expiresInDays" }, "The secret could not be created."));
  });

  return (
    <Modal
      open={open}
      onOpenChange={close}
      title={plaintext ? "Copy your new secret" : "Add secret"}
      description={plaintext ? undefined : "Name the secret after where it will be used, and choose when it stops working."}
    >
      {plaintext ? (
        <div className="secret-once">
          <p className="notice warning" role="status">
            This is the only time the secret is shown. Copy it now and store it safely: Scopekeeper keeps only a hash.
          </p>
          <div className="field">
            <label htmlFor="new-secret">Client secret</label>
            <div className="copy-row">
              <input id="new-secret" type="text" readOnly value={plaintext} spellCheck={false} onFocus={(e) => e.currentTarget.select()} />
              <CopyButton value={plaintext} />
            </div>
          </div>
          <div className="actions">
            <CloseButton asChild>
              <button type="button" className="primary">
                Done
              </button>
            </CloseButton>
          </div>
        </div>
      ) : (
        <form noValidate onSubmit={submit}>
          {problem && (
            <div className="notice error" role="alert">
              {problem}
            </div>
          )}
          <Field label="Description" hint={`At most ${LIMITS.secretDescriptionMax} characters.`} error={formState.errors.description?.message}>
            <input type="text" autoComplete="off" placeholder="e.g. Production API server" {...register("description")} />
          </Field>
          <Field
            label="Expires in days"
            hint={`1 to ${LIMITS.secretExpiresInDaysMax}; leave empty for a secret that never expires.`}
            error={formState.errors.expiresInDays?.message}
          >
            <input type="text" inputMode="numeric" {...register("expiresInDays")} />
          </Field>
          <div className="actions">
            <CloseButton asChild>
              <button type="button">Cancel</button>
            </CloseButton>
            <button type="submit" className="primary" disabled={formState.isSubmitting}>
              Create secret
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

const SECRET_DEFAULTS: SecretFormValues = { description: "", expiresInDays: "180" };

function RevokeSecretDialog({ secret, onClose }: { secret: Secret | null; onClose(): void }) {
  const [{ fetching }, revoke] = useMutation(RevokeSecretMutation);
  return (
    <ConfirmDialog
      open={secret !== null}
      onClose={onClose}
      title="Revoke this secret?"
      description={
        secret ? `The secret ${secret.description ? `“${secret.description}” ` : ""}ending in ${secret.hint} stops working at once. Anything still using it will fail to get tokens.` : undefined
      }
      confirmLabel="Revoke secret"
      busy={fetching}
      onConfirm={async () => {
        if (!secret) return null;
        const result = await revoke({ id: secret.id }, { additionalTypenames: ["ClientSecret"] });
        const outcome = result.data?.revokeClientSecret;
        return outcome?.__typename === "RevokeClientSecretSuccess" ? null : failureOf(result, outcome, "The secret could not be revoked.");
      }}
    />
  );
}
