import { zodResolver } from "@hookform/resolvers/zod";
import { useEffect, useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { useMutation, useQuery } from "urql";
import {
  IdentityProvidersQuery,
  LinkExternalIdentityMutation,
  RegisterIdentityProviderMutation,
  RemoveIdentityProviderMutation,
  UpdateIdentityProviderMutation,
} from "../operations.ts";
import { useSession } from "../session.tsx";
import { authorizationServer } from "../auth.ts";
import { CopyButton } from "../components/CopyButton.tsx";
import { CheckField, Field } from "../components/Field.tsx";
import { placeServerErrors } from "../components/form.ts";
import { IDP_LIMITS, identityProviderForm, lines, linkSubjectForm, type IdentityProviderFormValues, type LinkSubjectFormValues } from "../rules.ts";
import { CloseButton, Modal } from "../components/Modal.tsx";
import { ConfirmDialog, failureOf } from "../components/ConfirmDialog.tsx";
import { EmptyState, ErrorNotice } from "../components/Notice.tsx";
import type { IdentityProvidersQuery as IdentityProvidersResult, SubjectMapping } from "../gql/graphql.ts";

type Provider = IdentityProvidersResult["identityProviders"][number];
const MAPPING_LABELS: Record<SubjectMapping, string> = { EMAIL: "Verified email", SUB: "Linked subject" };

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
        External issuers {organizationName} trusts. For token exchange, an application trades a token from one of them (Okta, Entra ID, Auth0…) for one of
        this server's tokens, on behalf of the same person; with single sign-on, {organizationName}'s people sign in here through it.
      </p>
      {error && <ErrorNotice error={error} />}
      {data && providers.length === 0 && (
        <EmptyState title="No identity providers yet">
          <p>
            Register your company's identity provider, such as Okta or Entra ID, so its tokens can be exchanged here for this server's tokens without the person
            signing in again, or so your people sign in through it.
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

const EMPTY: IdentityProviderFormValues = {
  name: "",
  issuer: "",
  jwksUri: "",
  audience: "",
  subjectMapping: "EMAIL",
  clockSkewSeconds: String(IDP_LIMITS.clockSkewDefault),
  signInEnabled: false,
  signInClientId: "",
  signInClientSecret: "",
  signInEmailDomains: "",
  signInJitRole: "",
  signInSecretStored: false,
};

/** Where each server fieldError is shown. */
const FIELD_OF: Partial<Record<string, keyof IdentityProviderFormValues>> = {
  name: "name",
  issuer: "issuer",
  jwksUri: "jwksUri",
  audience: "audience",
  subjectMapping: "subjectMapping",
  clockSkewSeconds: "clockSkewSeconds",
  "signIn.enabled": "signInEnabled",
  "signIn.clientId": "signInClientId",
  "signIn.clientSecret": "signInClientSecret",
  "signIn.emailDomains": "signInEmailDomains",
  "signIn.jitRole": "signInJitRole",
};

function valuesOf(p: Provider): IdentityProviderFormValues {
  return {
    name: p.name,
    issuer: p.issuer,
    jwksUri: p.jwksUri ?? "",
    audience: p.audience,
    subjectMapping: p.subjectMapping,
    clockSkewSeconds: String(p.clockSkewSeconds),
    signInEnabled: p.signIn.enabled,
    signInClientId: p.signIn.clientId ?? "",
    signInClientSecret: "",
    signInEmailDomains: p.signIn.emailDomains.join("\n"),
    signInJitRole: p.signIn.jitRole ?? "",
    signInSecretStored: p.signIn.clientSecretSet,
  };
}

/** The form's values as the mutation's input fields. The secret is sent only when typed: empty keeps the stored one. */
function inputOf(v: IdentityProviderFormValues) {
  const skew = v.clockSkewSeconds.trim();
  const clientId = v.signInClientId.trim();
  return {
    name: v.name.trim(),
    issuer: v.issuer.trim(),
    jwksUri: v.jwksUri.trim() || null,
    audience: v.audience.trim(),
    subjectMapping: v.subjectMapping,
    ...(skew ? { clockSkewSeconds: Number(skew) } : {}),
    signIn: {
      enabled: v.signInEnabled,
      clientId: clientId || null,
      ...(v.signInClientSecret ? { clientSecret: v.signInClientSecret } : {}),
      emailDomains: lines(v.signInEmailDomains).map((d) => d.toLowerCase()),
      jitRole: v.signInJitRole || null,
    },
  };
}

function useProviderForm(initial: IdentityProviderFormValues) {
  return useForm<IdentityProviderFormValues>({ defaultValues: initial, resolver: zodResolver(identityProviderForm) });
}
type ProviderForm = ReturnType<typeof useProviderForm>;

/** The redirect URI to register at the provider: one for every provider of this server. */
function useSsoCallback(): string | null {
  const [uri, setUri] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void authorizationServer().then((as) => live && setUri(`${as.issuer.replace(/\/+$/, "")}/oauth/sso/callback`));
    return () => {
      live = false;
    };
  }, []);
  return uri;
}

/** The fields shared by the register form and the edit dialog. */
function ProviderFields({ form }: { form: ProviderForm }) {
  const { register, watch, formState } = form;
  const errors = formState.errors;
  const mapping = watch("subjectMapping");
  const signIn = watch("signInEnabled");
  const stored = watch("signInSecretStored");
  const callback = useSsoCallback();
  return (
    <>
      <div className="row top">
        <Field label="Name" hint="Unique in this organization, e.g. Okta." error={errors.name?.message}>
          <input type="text" autoComplete="off" {...register("name")} />
        </Field>
        <Field label="Issuer" hint="The iss its tokens carry; https." error={errors.issuer?.message}>
          <input type="text" inputMode="url" autoComplete="off" placeholder="https://example.okta.com" {...register("issuer")} />
        </Field>
      </div>
      <div className="row top">
        <Field label="JWKS URI" hint="Optional: discovered from the issuer when empty." error={errors.jwksUri?.message}>
          <input type="text" inputMode="url" autoComplete="off" {...register("jwksUri")} />
        </Field>
        <Field label="Audience" hint="The aud its tokens must carry." error={errors.audience?.message}>
          <input type="text" autoComplete="off" {...register("audience")} />
        </Field>
      </div>
      <div className="row top">
        <Field
          label="Subject mapping"
          hint={mapping === "EMAIL" ? "The token's verified email names the member." : "Its sub names the member, once linked below."}
          error={errors.subjectMapping?.message}
        >
          <select {...register("subjectMapping")}>
            <option value="EMAIL">{MAPPING_LABELS.EMAIL}</option>
            <option value="SUB">{MAPPING_LABELS.SUB}</option>
          </select>
        </Field>
        <Field label="Clock skew (seconds)" hint={`0 to ${IDP_LIMITS.clockSkewMax}.`} error={errors.clockSkewSeconds?.message}>
          <input type="text" inputMode="numeric" {...register("clockSkewSeconds")} />
        </Field>
      </div>
      <fieldset className="sign-in">
        <legend>Single sign-on</legend>
        <CheckField
          label="Sign people in with this provider"
          hint="OpenID Connect: people whose email is in one of the domains below go to this provider from the sign-in page, without a password here."
          error={errors.signInEnabled?.message}
        >
          <input type="checkbox" {...register("signInEnabled")} />
        </CheckField>
        {callback && (
          <div className="field">
            <span className="label-like">Redirect URI to register at the provider</span>
            <div className="copy-row">
              <code>{callback}</code>
              <CopyButton value={callback} label="Copy" />
            </div>
          </div>
        )}
        <div className="row top">
          <Field label="Client ID" hint="This server's client ID at the provider." error={errors.signInClientId?.message}>
            <input type="text" autoComplete="off" {...register("signInClientId")} />
          </Field>
          <Field
            label="Client secret"
            hint={stored ? "A secret is stored and never shown. Type a new one to replace it, or leave empty to keep it." : "Never shown again once saved."}
            error={errors.signInClientSecret?.message}
          >
            <input type="password" autoComplete="new-password" placeholder={stored ? "•••••••• (stored)" : ""} {...register("signInClientSecret")} />
          </Field>
        </div>
        <div className="row top">
          <Field label="Email domains" hint={`One a line, e.g. acme.example; at most ${IDP_LIMITS.emailDomainsMax}.`} error={errors.signInEmailDomains?.message}>
            <textarea rows={2} spellCheck={false} {...register("signInEmailDomains")} />
          </Field>
          <Field label="Newcomers" hint={signIn ? "A person the provider vouches for who is not in this organization yet." : "Applies once sign-in is on."} error={errors.signInJitRole?.message}>
            <select {...register("signInJitRole")}>
              <option value="">Refuse them</option>
              <option value="MEMBER">Add them as Member</option>
              <option value="ADMIN">Add them as Admin</option>
            </select>
          </Field>
        </div>
      </fieldset>
    </>
  );
}

function EditDialog({ provider, onClose }: { provider: Provider; onClose(): void }) {
  const form = useProviderForm(valuesOf(provider));
  const [problem, setProblem] = useState<string | null>(null);
  const [, update] = useMutation(UpdateIdentityProviderMutation);
  const submit = form.handleSubmit(async (values) => {
    setProblem(null);
    const r = await update({ input: { id: provider.id, ...inputOf(values) } }, { additionalTypenames: ["IdentityProvider"] });
    const o = r.data?.updateIdentityProvider;
    if (o?.__typename === "UpdateIdentityProviderSuccess") return onClose();
    setProblem(placeServerErrors(r, o, form.setError, FIELD_OF, "The identity provider could not be saved."));
  });

  return (
    <Modal open onOpenChange={(open) => !open && onClose()} title={`Edit ${provider.name}`} description="Changes apply to the next token exchanged and the next sign-in.">
      <form className="provider-edit" noValidate onSubmit={submit}>
        {problem && (
          <div className="notice error" role="alert">
            {problem}
          </div>
        )}
        <ProviderFields form={form} />
        <div className="actions">
          <CloseButton asChild>
            <button type="button">Cancel</button>
          </CloseButton>
          <button type="submit" className="primary" disabled={form.formState.isSubmitting}>
            Save changes
          </button>
        </div>
      </form>
    </Modal>
  );
}

function RegisterForm({ organizationId }: { organizationId: string }) {
  const form = useProviderForm(EMPTY);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [, registerProvider] = useMutation(RegisterIdentityProviderMutation);
  const submit = form.handleSubmit(async (values) => {
    setProblem(null);
    setStatus("");
    const { jwksUri, signIn, ...rest } = inputOf(values);
    const input = { organizationId, ...rest, ...(jwksUri ? { jwksUri } : {}), ...(signIn.enabled || signIn.clientId ? { signIn } : {}) };
    const r = await registerProvider({ input }, { additionalTypenames: ["IdentityProvider"] });
    const o = r.data?.registerIdentityProvider;
    if (o?.__typename === "RegisterIdentityProviderSuccess") {
      setStatus(`${values.name.trim()} registered.`);
      return form.reset(EMPTY);
    }
    setProblem(placeServerErrors(r, o, form.setError, FIELD_OF, "The identity provider could not be registered."));
  });

  return (
    <form className="invite" noValidate onSubmit={submit}>
      <h2>Register an identity provider</h2>
      <p role="status" className="saved">
        {status}
      </p>
      {problem && (
        <div className="notice error" role="alert">
          {problem}
        </div>
      )}
      <ProviderFields form={form} />
      <div className="actions">
        <button type="submit" className="primary" disabled={form.formState.isSubmitting}>
          Register identity provider
        </button>
      </div>
    </form>
  );
}

function LinkForm({ provider, members }: { provider: Provider; members: readonly { userId: string; email: string }[] }) {
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [, link] = useMutation(LinkExternalIdentityMutation);
  const { register, handleSubmit, setError, reset, formState } = useForm<LinkSubjectFormValues>({ defaultValues: { subject: "", userId: "" }, resolver: zodResolver(linkSubjectForm) });
  const submit = handleSubmit(async (values) => {
    setDone(null);
    setProblem(null);
    const r = await link({ input: { identityProviderId: provider.id, subject: values.subject.trim(), userId: values.userId } });
    const o = r.data?.linkExternalIdentity;
    if (o?.__typename === "LinkExternalIdentitySuccess") {
      setDone(`${o.subject} now signs in as ${members.find((m) => m.userId === o.userId)?.email ?? o.userId}.`);
      return reset({ subject: "", userId: values.userId });
    }
    setProblem(placeServerErrors(r, o, setError, { subject: "subject", userId: "userId" }, "The identity could not be linked."));
  });
  return (
    <form className="invite" noValidate onSubmit={submit}>
      <h2>Link people to {provider.name}</h2>
      <p className="muted">{provider.name} names people by their subject (sub); link each one to a member.</p>
      {problem && (
        <div className="notice error" role="alert">
          {problem}
        </div>
      )}
      {done && (
        <div className="notice success" role="status">
          {done}
        </div>
      )}
      <div className="row">
        <Field label="External subject" error={formState.errors.subject?.message}>
          <input type="text" autoComplete="off" {...register("subject")} />
        </Field>
        <Field label="Member" error={formState.errors.userId?.message}>
          <select {...register("userId")}>
            <option value="">Choose a member…</option>
            {members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.email}
              </option>
            ))}
          </select>
        </Field>
        <div className="field">
          <button type="submit" className="primary" disabled={formState.isSubmitting}>
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
