// Operator ADMINs create organizations here (until now only `scopekeeper bootstrap` did): a name
// and the first ADMIN's email, who gets a one-time invitation link to copy (and by mail when the
// server sends mail).
import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useMutation } from "urql";
import { organizationForm as schema, type OrganizationFormValues as Values } from "../rules.ts";
import { Field } from "../components/Field.tsx";
import { OneTimeLinkDialog } from "../components/OneTimeLinkDialog.tsx";
import { CreateOrganizationMutation } from "../operations.ts";
import { useSession } from "../session.tsx";
import { EmptyState } from "../components/Notice.tsx";


export function OrganizationsPage() {
  const { isOperatorAdmin } = useSession();
  const [, create] = useMutation(CreateOrganizationMutation);
  const [created, setCreated] = useState<{ name: string; email: string; url: string } | null>(null);
  const [status, setStatus] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const { register, handleSubmit, setError, reset, formState } = useForm<Values>({ defaultValues: { name: "", adminEmail: "" }, resolver: zodResolver(schema) });
  if (!isOperatorAdmin) {
    return (
      <section>
        <h1>Organizations</h1>
        <EmptyState title="Only operators create organizations" />
      </section>
    );
  }
  const submit = handleSubmit(async (values) => {
    setProblem(null);
    setStatus("");
    const r = await create({ input: { name: values.name.trim(), adminEmail: values.adminEmail.trim() } });
    const o = r.data?.createOrganization;
    if (o?.__typename === "CreateOrganizationSuccess") {
      setCreated({ name: o.organization.name, email: values.adminEmail.trim(), url: o.invitationUrl });
      setStatus(`${o.organization.name} created.`);
      reset();
      return;
    }
    if (o?.__typename === "ValidationError") {
      const unplaced: string[] = [];
      for (const f of o.fieldErrors) {
        const field = f.path[0];
        if (field === "name" || field === "adminEmail") setError(field, { type: "server", message: f.message.charAt(0).toUpperCase() + f.message.slice(1) });
        else unplaced.push(`${f.path.join(".")}: ${f.message}`);
      }
      setProblem(unplaced.length ? unplaced.join(" ") : null);
      return;
    }
    setProblem(r.error?.message ?? (o && "message" in o ? o.message : "The organization could not be created."));
  });
  return (
    <section>
      <h1>Organizations</h1>
      <p className="muted">Each organization has its own applications, members and identity providers. Its first ADMIN joins with a one-time link.</p>
      <p role="status" className="saved">
        {status}
      </p>
      {problem && (
        <div className="notice error" role="alert">
          {problem}
        </div>
      )}
      <form className="app-form" noValidate onSubmit={submit} aria-labelledby="create-organization-title">
        <fieldset>
          <legend id="create-organization-title">Create organization</legend>
          <Field label="Name" error={formState.errors.name?.message}>
            <input type="text" autoComplete="off" {...register("name")} />
          </Field>
          <Field label="First admin's email" hint="They get a one-time link to join as ADMIN (valid 7 days)." error={formState.errors.adminEmail?.message}>
            <input type="email" autoComplete="off" {...register("adminEmail")} />
          </Field>
        </fieldset>
        <div className="actions">
          <button className="primary" type="submit" disabled={formState.isSubmitting}>
            Create organization
          </button>
        </div>
      </form>
      <OneTimeLinkDialog
        inputId="organization-invitation"
        onClose={() => setCreated(null)}
        link={
          created && {
            title: `${created.name} created`,
            description: `Send this link to ${created.email}. It works once, for 7 days: they choose a password and join as ADMIN.`,
            label: "Invitation link",
            url: created.url,
          }
        }
      />
    </section>
  );
}
