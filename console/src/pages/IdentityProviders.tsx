import { useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import {
  IdentityProvidersQuery,
  LinkExternalIdentityMutation,
  RegisterIdentityProviderMutation,
  RemoveIdentityProviderMutation,
  UpdateIdentityProviderMutation,
} from "../operations.ts";
import { useSession } from "../session.tsx";
import { Field } from "../components/Field.tsx";
import { CloseButton, Modal } from "../components/Modal.tsx";
import { ConfirmDialog, failureOf } from "../components/ConfirmDialog.tsx";
import { EmptyState, ErrorNotice } from "../components/Notice.tsx";
import type { SubjectMapping } from "../gql/graphql.ts";

type Provider = { id: string; name: string; issuer: string; jwksUri?: string | null; audience: string; subjectMapping: SubjectMapping; clockSkewSeconds: number };
type FieldErrors = Record<string, string>;

const MAPPING_LABELS: Record<SubjectMapping, string> = { EMAIL: "Verified email", SUB: "Linked subject" };
// The server words field errors as fragments ("must use https"); under a label they read as sentences.
const sentence = (message: string) => message.charAt(0).toUpperCase() + message.slice(1);

/** Turns a mutation outcome that is not a success into messages keyed by the field they belong to. */
function problemsOf(outcome: { __typename?: string; message?: string; fieldErrors?: readonly { path: readonly string[]; message: string }[] } | undefined, fallback: string, networkMessage?: string): FieldErrors {
  if (outcome?.__typename === "ValidationError" && outcome.fieldErrors?.length) {
    const errors: FieldErrors = {};
    for (const fe of outcome.fieldErrors) errors[fe.path[0] ?? "form"] ??= sentence(fe.message);
    return errors;
  }
  return { form: networkMessage ?? outcome?.message ?? fallback };
}

export function IdentityProvidersPage() {
  const { organization } = useSession();
  if (!organization) {
    return (
      <section>
        <h1>Identity providers</h1>
        <EmptyState title="Only administrators manage identity providers" />
      </section>
    );
  }
  return <ProviderList organizationId={organization.id} organizationName={organization.name} />;
}

function ProviderList({ organizationId, organizationName }: { organizationId: string; organizationName: string }) {
  // An empty list carries no IdentityProvider typename, so the first registration would not refetch it.
  const context = useMemo(() => ({ additionalTypenames: ["IdentityProvider"] }), []);
  const [{ data, error }] = useQuery({ query: IdentityProvidersQuery, variables: { organizationId }, context });
  const [removing, setRemoving] = useState<Provider | null>(null);
  const [editing, setEditing] = useState<Provider | null>(null);
  const providers = data?.identityProviders ?? [];
  const members = data?.organization?.members ?? [];
  const linkable = providers.filter((p) => p.subjectMapping === "SUB");

  return (
    <section>
      <h1>Identity providers</h1>
      <p className="muted">
        External issuers {organizationName} trusts for token exchange: an application trades a token from one of them (Okta, Entra ID, Auth0…) for one of this
        server's tokens, on behalf of the same person.
      </p>
      {error && <ErrorNotice error={error} />}
      {data && providers.length === 0 && (
        <EmptyState title="No identity providers yet">
          <p>
            Register your company's identity provider, such as Okta or Entra ID, so its tokens can be exchanged here for this server's tokens without the person
            signing in again.
          </p>
        </EmptyState>
      )}
      {providers.length > 0 && (
        <table className="list providers">
          <caption className="visually-hidden">Identity providers</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Issuer</th>
              <th scope="col">Audience</th>
              <th scope="col">Subject mapping</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => (
              <tr key={p.id}>
                <td data-label="Name">{p.name}</td>
                <td data-label="Issuer">
                  <code>{p.issuer}</code>
                </td>
                <td data-label="Audience">
                  <code>{p.audience}</code>
                </td>
                <td data-label="Subject mapping">{MAPPING_LABELS[p.subjectMapping]}</td>
                <td data-label="">
                  <div className="row-actions">
                    <button type="button" className="small" aria-label={`Edit ${p.name}`} onClick={() => setEditing(p)}>
                      Edit
                    </button>
                    <button type="button" className="danger-button small" aria-label={`Remove ${p.name}`} onClick={() => setRemoving(p)}>
                      Remove
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <RegisterForm organizationId={organizationId} />
      {linkable.map((p) => (
        <LinkForm key={p.id} provider={p} members={members} />
      ))}
      <RemoveDialog provider={removing} onClose={() => setRemoving(null)} />
      {editing && <EditDialog key={editing.id} provider={editing} onClose={() => setEditing(null)} />}
    </section>
  );
}

const EMPTY = { name: "", issuer: "", jwksUri: "", audience: "", subjectMapping: "EMAIL" as SubjectMapping, clockSkewSeconds: "60" };
type FormValues = typeof EMPTY;
type Setter = (key: keyof FormValues) => (e: { target: { value: string } }) => void;

/** The form's values as the mutation's input fields, or a field error the server could not word (a non-number is a GraphQL type error). */
function inputOf(values: FormValues): { input: { name: string; issuer: string; audience: string; subjectMapping: SubjectMapping; clockSkewSeconds?: number; jwksUri: string | null } } | { errors: FieldErrors } {
  const skew = values.clockSkewSeconds.trim();
  if (skew !== "" && !/^\d+$/.test(skew)) return { errors: { clockSkewSeconds: "Must be a whole number of seconds from 0 to 300" } };
  const jwksUri = values.jwksUri.trim();
  return {
    input: {
      name: values.name.trim(),
      issuer: values.issuer.trim(),
      jwksUri: jwksUri || null,
      audience: values.audience.trim(),
      subjectMapping: values.subjectMapping,
      ...(skew ? { clockSkewSeconds: Number(skew) } : {}),
    },
  };
}

/** The fields shared by the register form and the edit dialog. */
function ProviderFields({ values, set, errors }: { values: FormValues; set: Setter; errors: FieldErrors }) {
  return (
    <>
      <div className="row top">
        <Field label="Name" hint="Unique in this organization, e.g. Okta." error={errors.name}>
          <input type="text" autoComplete="off" value={values.name} onChange={set("name")} />
        </Field>
        <Field label="Issuer" hint="The iss its tokens carry; https." error={errors.issuer}>
          <input type="text" inputMode="url" autoComplete="off" placeholder="https://example.okta.com" value={values.issuer} onChange={set("issuer")} />
        </Field>
      </div>
      <div className="row top">
        <Field label="JWKS URI" hint="Optional: discovered from the issuer when empty." error={errors.jwksUri}>
          <input type="text" inputMode="url" autoComplete="off" value={values.jwksUri} onChange={set("jwksUri")} />
        </Field>
        <Field label="Audience" hint="The aud its tokens must carry." error={errors.audience}>
          <input type="text" autoComplete="off" value={values.audience} onChange={set("audience")} />
        </Field>
      </div>
      <div className="row top">
        <Field
          label="Subject mapping"
          hint={values.subjectMapping === "EMAIL" ? "The token's verified email names the member." : "Its sub names the member, once linked below."}
          error={errors.subjectMapping}
        >
          <select value={values.subjectMapping} onChange={set("subjectMapping")}>
            <option value="EMAIL">{MAPPING_LABELS.EMAIL}</option>
            <option value="SUB">{MAPPING_LABELS.SUB}</option>
          </select>
        </Field>
        <Field label="Clock skew (seconds)" hint="0 to 300." error={errors.clockSkewSeconds}>
          <input type="text" inputMode="numeric" value={values.clockSkewSeconds} onChange={set("clockSkewSeconds")} />
        </Field>
      </div>
    </>
  );
}

function EditDialog({ provider, onClose }: { provider: Provider; onClose(): void }) {
  const [values, setValues] = useState<FormValues>({
    name: provider.name,
    issuer: provider.issuer,
    jwksUri: provider.jwksUri ?? "",
    audience: provider.audience,
    subjectMapping: provider.subjectMapping,
    clockSkewSeconds: String(provider.clockSkewSeconds),
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [{ fetching }, update] = useMutation(UpdateIdentityProviderMutation);
  const set: Setter = (key) => (e) => setValues((v) => ({ ...v, [key]: e.target.value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    const parsed = inputOf(values);
    if ("errors" in parsed) return setErrors(parsed.errors);
    const r = await update({ input: { id: provider.id, ...parsed.input } }, { additionalTypenames: ["IdentityProvider"] });
    const o = r.data?.updateIdentityProvider;
    if (o?.__typename === "UpdateIdentityProviderSuccess") onClose();
    else setErrors(problemsOf(o, "The identity provider could not be saved.", r.error?.message));
  }

  return (
    <Modal open onOpenChange={(open) => !open && onClose()} title={`Edit ${provider.name}`} description="Changes apply to the next token exchanged.">
      <form className="provider-edit" noValidate onSubmit={submit}>
        {errors.form && (
          <div className="notice error" role="alert">
            {errors.form}
          </div>
        )}
        <ProviderFields values={values} set={set} errors={errors} />
        <div className="actions">
          <CloseButton asChild>
            <button type="button">Cancel</button>
          </CloseButton>
          <button type="submit" className="primary" disabled={fetching}>
            Save changes
          </button>
        </div>
      </form>
    </Modal>
  );
}

function RegisterForm({ organizationId }: { organizationId: string }) {
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [{ fetching }, register] = useMutation(RegisterIdentityProviderMutation);
  const set: Setter = (key) => (e) => setValues((v) => ({ ...v, [key]: e.target.value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    const parsed = inputOf(values);
    if ("errors" in parsed) return setErrors(parsed.errors);
    const { jwksUri, ...rest } = parsed.input;
    const r = await register({ input: { organizationId, ...rest, ...(jwksUri ? { jwksUri } : {}) } }, { additionalTypenames: ["IdentityProvider"] });
    const o = r.data?.registerIdentityProvider;
    if (o?.__typename === "RegisterIdentityProviderSuccess") {
      setErrors({});
      setValues(EMPTY);
    } else setErrors(problemsOf(o, "The identity provider could not be registered.", r.error?.message));
  }

  return (
    <form className="invite" noValidate onSubmit={submit}>
      <h2>Register an identity provider</h2>
      {errors.form && (
        <div className="notice error" role="alert">
          {errors.form}
        </div>
      )}
      <ProviderFields values={values} set={set} errors={errors} />
      <div className="actions">
        <button type="submit" className="primary" disabled={fetching}>
          Register identity provider
        </button>
      </div>
    </form>
  );
}

function LinkForm({ provider, members }: { provider: Provider; members: readonly { userId: string; email: string }[] }) {
  const [subject, setSubject] = useState("");
  const [userId, setUserId] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [done, setDone] = useState<string | null>(null);
  const [{ fetching }, link] = useMutation(LinkExternalIdentityMutation);
  return (
    <form
      className="invite"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setDone(null);
        const r = await link({ input: { identityProviderId: provider.id, subject: subject.trim(), userId } });
        const o = r.data?.linkExternalIdentity;
        if (o?.__typename === "LinkExternalIdentitySuccess") {
          setErrors({});
          setDone(`${o.subject} now signs in as ${members.find((m) => m.userId === o.userId)?.email ?? o.userId}.`);
          setSubject("");
        } else setErrors(problemsOf(o, "The identity could not be linked.", r.error?.message));
      }}
    >
      <h2>Link people to {provider.name}</h2>
      <p className="muted">{provider.name} names people by their subject (sub); link each one to a member.</p>
      {errors.form && (
        <div className="notice error" role="alert">
          {errors.form}
        </div>
      )}
      {done && (
        <div className="notice success" role="status">
          {done}
        </div>
      )}
      <div className="row">
        <Field label="External subject" error={errors.subject}>
          <input type="text" autoComplete="off" value={subject} onChange={(e) => setSubject(e.target.value)} />
        </Field>
        <Field label="Member" error={errors.userId}>
          <select value={userId} onChange={(e) => setUserId(e.target.value)}>
            <option value="">Choose a member…</option>
            {members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.email}
              </option>
            ))}
          </select>
        </Field>
        <div className="field">
          <button type="submit" className="primary" disabled={fetching}>
            Link
          </button>
        </div>
      </div>
    </form>
  );
}

function RemoveDialog({ provider, onClose }: { provider: Provider | null; onClose(): void }) {
  const [{ fetching }, remove] = useMutation(RemoveIdentityProviderMutation);
  return (
    <ConfirmDialog
      open={provider !== null}
      onClose={onClose}
      title={`Remove ${provider?.name ?? ""}?`}
      description="Its tokens stop being exchanged at once, and the identities linked to it are forgotten."
      confirmLabel="Remove identity provider"
      busy={fetching}
      onConfirm={async () => {
        if (!provider) return null;
        const r = await remove({ id: provider.id }, { additionalTypenames: ["IdentityProvider"] });
        const o = r.data?.removeIdentityProvider;
        return o?.__typename === "RemoveIdentityProviderSuccess" ? null : failureOf(r, o, "The identity provider could not be removed.");
      }}
    />
  );
}
