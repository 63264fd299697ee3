import { useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useForm } from "react-hook-form";
import { useMutation } from "urql";
import { failureOf } from "../../components/ConfirmDialog.tsx";
import { ApplicationForm, toUpdateInput, type ApplicationFormValues } from "../../components/ApplicationForm.tsx";
import { DeleteApplicationMutation, UpdateApplicationMutation } from "../../operations.ts";
import { useSession } from "../../session.tsx";
import type { ConsoleApplicationFieldsFragment } from "../../gql/graphql.ts";

function valuesOf(app: ConsoleApplicationFieldsFragment): ApplicationFormValues {
  return {
    name: app.name,
    description: app.description ?? "",
    applicationType: app.applicationType,
    platform: app.platform ?? "WEB",
    isFirstParty: app.isFirstParty,
    organizationId: app.organization?.id ?? "",
    redirectUris: app.redirectUris.map((r) => r.uri).join("\n"),
    defaultRedirectUri: app.redirectUris.find((r) => r.default)?.uri ?? "",
    postLogoutRedirectUris: app.postLogoutRedirectUris.join("\n"),
    usesPkce: app.usesPkce,
    logoUri: app.logoUri ?? "",
    termsOfServiceUri: app.termsOfServiceUri ?? "",
    privacyPolicyUri: app.privacyPolicyUri ?? "",
    clientCode: app.clientCode ?? "",
    onBehalfOfEnabled: app.onBehalfOfEnabled,
    tokenExchangeEnabled: app.tokenExchange.enabled,
    tokenExchangeTtl: String(app.tokenExchange.accessTokenTtlSeconds),
  };
}

export function SettingsTab({ app }: { app: ConsoleApplicationFieldsFragment }) {
  const { memberships, isOperatorAdmin } = useSession();
  const [, update] = useMutation(UpdateApplicationMutation);
  const organizations = app.organization ? [app.organization] : memberships.filter((m) => m.role === "ADMIN").map((m) => m.organization);
  // ?field=logoUri (the Publication tab's "what is missing" links) puts the cursor in that field.
  const [search] = useSearchParams();
  const field = search.get("field");
  useEffect(() => {
    if (!field) return;
    const control = document.querySelector<HTMLElement>(`form [name="${CSS.escape(field)}"]`);
    control?.scrollIntoView({ block: "center" });
    control?.focus({ preventScroll: true });
  }, [field]);
  return (
    <>
      <h2 className="visually-hidden">Settings</h2>
      <ApplicationForm
        key={app.id}
        mode="edit"
        initial={valuesOf(app)}
        organizations={organizations}
        canSetFirstParty={isOperatorAdmin}
        submitLabel="Save changes"
        onSubmit={async (values, shape) => {
          const result = await update({ input: toUpdateInput(app.id, values, shape) });
          if (result.error) return result.error.message;
          const outcome = result.data!.updateConnectApplication;
          if (outcome.__typename === "UpdateConnectApplicationSuccess") return null;
          return outcome.__typename === "ValidationError" ? { fieldErrors: outcome.fieldErrors } : outcome.message;
        }}
      />
      <DangerZone app={app} />
    </>
  );
}

function DangerZone({ app }: { app: ConsoleApplicationFieldsFragment }) {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [, remove] = useMutation(DeleteApplicationMutation);
  // The name typed to confirm, Logto's way: the button stays off until it matches.
  const { register, handleSubmit, watch, formState } = useForm<{ typed: string }>({ defaultValues: { typed: "" } });
  const submit = handleSubmit(async () => {
    const result = await remove({ id: app.id }, { additionalTypenames: ["ConnectApplication"] });
    const outcome = result.data?.deleteConnectApplication;
    if (outcome?.__typename === "DeleteConnectApplicationSuccess") navigate("/applications", { replace: true });
    else setError(failureOf(result, outcome, "The application could not be deleted."));
  });
  return (
    <section className="danger" aria-labelledby="danger-title">
      <h2 id="danger-title">Danger zone</h2>
      <p>
        Deleting <strong>{app.name}</strong> ends its tokens and secrets at once and cannot be undone. Type its name below to confirm.
      </p>
      {error && (
        <div className="notice error" role="alert">
          {error}
        </div>
      )}
      <form className="inline-form" noValidate onSubmit={submit}>
        <label>
          Deletion confirmation
          <input type="text" autoComplete="off" {...register("typed")} />
        </label>
        <button type="submit" className="danger-button" disabled={watch("typed") !== app.name || formState.isSubmitting}>
          Delete application
        </button>
      </form>
    </section>
  );
}
