// An application that authenticates with private_key_jwt (RFC 7523) has no secrets: it signs a
// short JWT with its own private key, and the server checks it against the public keys it
// registered, either a JWK Set kept here (`jwks`) or a URL where the app publishes it (`jwksUri`),
// never both. This section lists the keys by kid and algorithm and edits them through
// updateConnectApplication's jwks / jwksUri.
//
// An application moves between the two ways (issue 24): "Use public keys instead" on the secrets
// view opens PublicKeysForm in its switching mode (the server revokes the active secrets in the
// same change, so the form says so first), and "Use client secrets instead" here removes the keys
// after a confirmation.
import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useMutation } from "urql";
import { ConfirmDialog, failureOf } from "../../components/ConfirmDialog.tsx";
import { CopyButton } from "../../components/CopyButton.tsx";
import { Field } from "../../components/Field.tsx";
import { placeServerErrors } from "../../components/form.ts";
import { EmptyState } from "../../components/Notice.tsx";
import { UpdateApplicationMutation } from "../../operations.ts";
import { LIMITS, publicKeysForm, type PublicKeysFormValues } from "../../rules.ts";
import type { ConsoleApplicationFieldsFragment } from "../../gql/graphql.ts";

interface KeyRow {
  kid: string | null;
  alg: string | null;
  type: string;
}

/** The keys of a JWK Set as people read them; the algorithm is the key's own `alg`, or what its type implies. */
export function keysOf(jwks: string | null | undefined): KeyRow[] {
  if (!jwks) return [];
  try {
    const keys = (JSON.parse(jwks) as { keys?: Record<string, unknown>[] }).keys ?? [];
    return keys.map((k) => {
      const kty = String(k.kty ?? "?");
      const crv = typeof k.crv === "string" ? k.crv : null;
      const implied = kty === "EC" && crv === "P-256" ? "ES256" : kty === "OKP" && crv === "Ed25519" ? "EdDSA" : null;
      return {
        kid: typeof k.kid === "string" ? k.kid : null,
        alg: typeof k.alg === "string" ? k.alg : implied,
        type: crv ? `${kty} ${crv}` : kty,
      };
    });
  } catch {
    return [];
  }
}

export function PublicKeys({
  app,
  initialStatus = "",
  onSwitchedToSecrets,
}: {
  app: ConsoleApplicationFieldsFragment;
  /** What the step that led here did (a switch from secrets), announced once. */
  initialStatus?: string;
  onSwitchedToSecrets(message: string): void;
}) {
  const keys = keysOf(app.jwks);
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState(initialStatus);
  return (
    <section aria-labelledby="public-keys-title">
      <div className="section-head">
        <h2 id="public-keys-title">Public keys</h2>
        {!editing && (
          <button type="button" className="primary" onClick={() => (setEditing(true), setStatus(""))}>
            Edit public keys
          </button>
        )}
      </div>
      <p className="muted">
        This application authenticates with <code>private_key_jwt</code>: it signs a short-lived JWT with its own private key
        (<code>iss</code> and <code>sub</code> its client ID, <code>aud</code> the issuer), and has no secrets. The server checks the
        signature with the public keys below.
      </p>
      <p role="status" className="saved">
        {status}
      </p>
      {app.jwksUri ? (
        <div className="field">
          <span className="label-like">Keys published at</span>
          <div className="copy-row">
            <code>{app.jwksUri}</code>
            <CopyButton value={app.jwksUri} label="Copy" />
          </div>
          <p className="hint">Fetched when the application signs with a key the server has not seen, and cached.</p>
        </div>
      ) : keys.length === 0 ? (
        <EmptyState title="No public keys registered">
          <p>Add the JWK Set of the keys this application signs with, or the URL where it publishes them.</p>
        </EmptyState>
      ) : (
        <table className="list">
          <caption className="visually-hidden">Public keys</caption>
          <thead>
            <tr>
              <th scope="col">Key ID</th>
              <th scope="col">Algorithm</th>
              <th scope="col">Key type</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k, i) => (
              <tr key={`${k.kid ?? ""}-${i}`}>
                <td data-label="Key ID">{k.kid ? <code>{k.kid}</code> : <span className="muted">No kid</span>}</td>
                <td data-label="Algorithm">{k.alg ?? <span className="muted">Not stated</span>}</td>
                <td data-label="Key type">{k.type}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <PublicKeysForm
          app={app}
          onDone={(message) => {
            setEditing(false);
            if (message) setStatus(message);
          }}
        />
      )}
      {!editing && (
        <div className="auth-switch">
          <p>Prefer a client secret? The application then sends a secret instead of signing with its key.</p>
          <button type="button" onClick={() => (setConfirming(true), setStatus(""))}>
            Use client secrets instead
          </button>
        </div>
      )}
      <UseSecretsDialog app={app} open={confirming} onClose={() => setConfirming(false)} onSwitched={onSwitchedToSecrets} />
    </section>
  );
}

/** Back to secrets: the keys go with the method (the server refuses keys on a secret app). */
function UseSecretsDialog({ app, open, onClose, onSwitched }: { app: ConsoleApplicationFieldsFragment; open: boolean; onClose(): void; onSwitched(message: string): void }) {
  const [{ fetching }, update] = useMutation(UpdateApplicationMutation);
  const what = app.jwksUri ? `The JWKS URL ${app.jwksUri} will be removed` : "The registered public keys will be removed";
  return (
    <ConfirmDialog
      open={open}
      onClose={onClose}
      title="Use client secrets instead?"
      description={`${what}, and client assertions signed with those keys stop working at once. The application then authenticates with a client secret: add one next, and deploy it where the application runs.`}
      confirmLabel="Remove keys"
      busy={fetching}
      onConfirm={async () => {
        const r = await update({ input: { id: app.id, tokenEndpointAuthMethod: "CLIENT_SECRET_BASIC", jwks: null, jwksUri: null } });
        const o = r.data?.updateConnectApplication;
        if (o?.__typename !== "UpdateConnectApplicationSuccess") return failureOf(r, o, "The application could not be switched to client secrets.");
        onSwitched("Public keys removed. Add a secret for this application to get tokens again.");
        return null;
      }}
    />
  );
}

/**
 * Edits the keys of a private_key_jwt app; with `switchFrom`, moves a secret app to
 * private_key_jwt in the same save, saying first that its active secrets will be revoked.
 */
export function PublicKeysForm({
  app,
  onDone,
  switchFrom,
}: {
  app: ConsoleApplicationFieldsFragment;
  onDone(message: string | null): void;
  switchFrom?: { activeSecrets: number };
}) {
  const [problem, setProblem] = useState<string | null>(null);
  const [, update] = useMutation(UpdateApplicationMutation);
  const { register, handleSubmit, setError, watch, formState } = useForm<PublicKeysFormValues>({
    defaultValues: { source: app.jwksUri ? "jwksUri" : "jwks", jwks: app.jwks ? JSON.stringify(JSON.parse(app.jwks), null, 2) : "", jwksUri: app.jwksUri ?? "" },
    resolver: zodResolver(publicKeysForm),
  });
  const source = watch("source");
  const revoking = switchFrom?.activeSecrets ?? 0;
  const submit = handleSubmit(async (values) => {
    setProblem(null);
    // One or the other, never both: choosing one clears the other.
    const keys = values.source === "jwks" ? { jwks: values.jwks.trim(), jwksUri: null } : { jwksUri: values.jwksUri.trim(), jwks: null };
    const input = { id: app.id, ...keys, ...(switchFrom ? { tokenEndpointAuthMethod: "PRIVATE_KEY_JWT" as const } : {}) };
    const r = await update({ input }, { additionalTypenames: ["ClientSecret"] });
    const o = r.data?.updateConnectApplication;
    if (o?.__typename === "UpdateConnectApplicationSuccess") {
      return onDone(switchFrom ? `Public keys saved.${revoking > 0 ? ` ${secretsWord(revoking, true)} revoked.` : ""}` : "Public keys saved.");
    }
    setProblem(placeServerErrors(r, o, setError, { jwks: "jwks", jwksUri: "jwksUri", tokenEndpointAuthMethod: "jwks" }, "The public keys could not be saved."));
  });
  return (
    <form className="invite" noValidate onSubmit={submit} aria-label={switchFrom ? "Switch to public keys" : "Edit public keys"}>
      {switchFrom && (
        <>
          <h3>Switch to public keys</h3>
          <p>
            The application will sign a short-lived JWT with its own private key (<code>private_key_jwt</code>) instead of sending a secret.
            Register the public half of that key here.
          </p>
          {revoking > 0 && (
            <p className="notice warning" id="switch-revokes">
              <strong>{secretsWord(revoking, false)} will be revoked when you save.</strong> {revoking === 1 ? "It stops" : "They stop"} working at
              once: anything still using {revoking === 1 ? "it" : "them"} will fail to get tokens, and switching back later does not bring{" "}
              {revoking === 1 ? "it" : "them"} back.
            </p>
          )}
        </>
      )}
      {problem && (
        <div className="notice error" role="alert">
          {problem}
        </div>
      )}
      <fieldset className="choice">
        <legend>Where the keys come from</legend>
        <label>
          <input type="radio" value="jwks" {...register("source")} /> A JWK Set kept here
        </label>
        <label>
          <input type="radio" value="jwksUri" {...register("source")} /> A URL where the application publishes them
        </label>
      </fieldset>
      {source === "jwks" ? (
        <Field
          label="JWK Set"
          hint={`Public keys only, as JSON: {"keys": [...]}; 1 to ${LIMITS.jwksMaxKeys} keys (EC, RSA or OKP), each with a kid.`}
          error={formState.errors.jwks?.message}
        >
          <textarea rows={8} spellCheck={false} {...register("jwks")} />
        </Field>
      ) : (
        <Field label="JWKS URL" hint="https; the server fetches the keys from there." error={formState.errors.jwksUri?.message}>
          <input type="url" inputMode="url" autoComplete="off" {...register("jwksUri")} />
        </Field>
      )}
      <div className="actions">
        <button type="button" onClick={() => onDone(null)}>
          Cancel
        </button>
        <button
          type="submit"
          className={revoking > 0 ? "danger-button" : "primary"}
          disabled={formState.isSubmitting}
          {...(revoking > 0 ? { "aria-describedby": "switch-revokes" } : {})}
        >
          {switchFrom ? (revoking > 0 ? "Revoke secrets and switch" : "Switch to public keys") : "Save public keys"}
        </button>
      </div>
    </form>
  );
}

const secretsWord = (n: number, past: boolean) =>
  n === 1 ? (past ? "The active client secret was" : "The active client secret") : past ? `The ${n} active client secrets were` : `The ${n} active client secrets`;
