// The application's publication: its visibility, the latest request and its outcome, what it
// lacks, the request form, the diff under review, withdrawing and unpublishing. The rules are the
// server's (publicationReadiness, the mutations' ValidationErrors); this page only shows them.
import { zodResolver } from "@hookform/resolvers/zod";
import { useId, useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import {
  ApplicationPublicationQuery,
  RequestPublicationMutation,
  UnpublishApplicationMutation,
  WithdrawPublicationMutation,
} from "../../operations.ts";
import { ConfirmDialog, failureOf } from "../../components/ConfirmDialog.tsx";
import { Field } from "../../components/Field.tsx";
import { PUBLICATION_LIMITS, publicationRequestForm, type PublicationRequestFormValues } from "../../rules.ts";
import { ErrorNotice } from "../../components/Notice.tsx";
import { PublicationDiff } from "../../components/PublicationDiff.tsx";
import { PUBLICATION_ORIGIN_LABEL, PUBLICATION_STATUS_BADGE, PUBLICATION_STATUS_LABEL, formatDate } from "../../labels.ts";
import type { ConsoleApplicationFieldsFragment, ConsolePublicationRequestFieldsFragment } from "../../gql/graphql.ts";

/** Missing fields the Settings tab can fill, by the field's name there. */
const SETTINGS_FIELD: Record<string, string> = {
  description: "Description",
  logoUri: "Logo URL",
  termsOfServiceUri: "Terms of service URL",
  privacyPolicyUri: "Privacy policy URL",
  redirectUris: "Redirect URIs",
};
/** Codes that say the application can never be published, whatever is filled in. */
const NEVER = new Set(["publication_oauth_only", "publication_first_party"]);

const PUBLICATION_TYPENAMES = { additionalTypenames: ["PublicationRequest", "ConnectApplication"] };

export function PublicationTab({ app }: { app: ConsoleApplicationFieldsFragment }) {
  const [{ data, error, fetching }] = useQuery({ query: ApplicationPublicationQuery, variables: { id: app.id }, context: PUBLICATION_TYPENAMES });
  const [unpublishing, setUnpublishing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [{ fetching: withdrawing }, withdraw] = useMutation(WithdrawPublicationMutation);
  const [withdrawError, setWithdrawError] = useState<string | null>(null);
  const [{ fetching: unpublishBusy }, unpublish] = useMutation(UnpublishApplicationMutation);

  if (error) return <ErrorNotice error={error} />;
  const state = data?.application;
  if (!state) return <p aria-live="polite">{fetching ? "Loading publication…" : "This application is not available."}</p>;

  const latest = state.publicationRequest ?? null;
  const pending = latest?.status === "PENDING" ? latest : null;
  const missing = state.publicationReadiness.missing;
  const never = missing.filter((m) => NEVER.has(m.code));
  const unchanged = missing.some((m) => m.code === "publication_nothing_to_review");
  const fieldsMissing = missing.filter((m) => !NEVER.has(m.code) && m.path[0] !== "applicationId");
  const organization = state.organization?.name ?? "its organization";

  return (
    <>
      <h2>Visibility</h2>
      <p className="status-line">
        {state.visibility === "PUBLIC" ? <span className="badge ok-badge">Public</span> : <span className="badge muted-badge">Private</span>}
        {pending && <span className="badge warn-badge">Review pending</span>}{" "}
        {state.visibility === "PUBLIC"
          ? `People of any organization may authorize ${state.name}, after consenting to its permissions.`
          : state.organization
            ? `Only members of ${organization} may authorize ${state.name}.`
            : `${state.name} is first-party: it belongs to the operator of this server.`}
      </p>
      {state.visibility === "PUBLIC" && pending && (
        <p className="muted">Until the change is approved, people outside {organization} keep getting the approved revision; members get the current settings.</p>
      )}
      {notice && (
        <div className="notice success" role="status">
          {notice}
        </div>
      )}

      {latest && (
        <section aria-labelledby="latest-request">
          <h2 id="latest-request">Latest request</h2>
          <LatestRequest request={latest} />
          {pending && (
            <>
              {withdrawError && (
                <div className="notice error" role="alert">
                  {withdrawError}
                </div>
              )}
              <div className="actions start">
                <button
                  type="button"
                  disabled={withdrawing}
                  onClick={async () => {
                    const result = await withdraw({ requestId: pending.id }, PUBLICATION_TYPENAMES);
                    const outcome = result.data?.withdrawPublication;
                    if (outcome?.__typename === "WithdrawPublicationSuccess") {
                      setWithdrawError(null);
                      setNotice("The request was withdrawn.");
                    } else setWithdrawError(failureOf(result, outcome, "The request could not be withdrawn."));
                  }}
                >
                  Withdraw request
                </button>
              </div>
              <h3 id="diff-under-review">The diff under review</h3>
              <p className="muted">
                {state.visibility === "PUBLIC"
                  ? "What reviewers compare: the approved revision against the current settings."
                  : "A first publication: reviewers see every critical field."}
              </p>
              <PublicationDiff changes={pending.changes} caption="Changes under review" />
            </>
          )}
        </section>
      )}

      {never.length > 0 ? (
        <section aria-labelledby="not-publishable">
          <h2 id="not-publishable">Publication</h2>
          <p>
            {state.name} cannot be published: {never.map((m) => m.message).join("; ")}.
          </p>
        </section>
      ) : (
        !pending &&
        (unchanged ? (
          <p className="muted">Published and unchanged since its approval: there is nothing to review.</p>
        ) : (
          <RequestForm
            applicationId={state.id}
            missing={fieldsMissing}
            onRequested={() => setNotice("Publication requested. An operator will review it.")}
          />
        ))
      )}

      {state.publicationRequests.length > 1 && (
        <table className="list">
          <caption>Earlier requests</caption>
          <thead>
            <tr>
              <th scope="col">Requested</th>
              <th scope="col">Origin</th>
              <th scope="col">Outcome</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {state.publicationRequests.slice(1).map((r) => (
              <tr key={r.id}>
                <td data-label="Requested">{formatDate(r.createdAt)}</td>
                <td data-label="Origin">{PUBLICATION_ORIGIN_LABEL[r.origin]}</td>
                <td data-label="Outcome">
                  <span>
                    <span className={PUBLICATION_STATUS_BADGE[r.status]}>{PUBLICATION_STATUS_LABEL[r.status]}</span>
                    {r.decidedAt && <span className="muted"> {formatDate(r.decidedAt)}</span>}
                  </span>
                </td>
                <td data-label="Reason">{r.reason ?? <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {state.visibility === "PUBLIC" && (
        <section className="danger" aria-labelledby="unpublish-title">
          <h2 id="unpublish-title">Unpublish</h2>
          <p>Make {state.name} private again: only members of {organization} will be able to authorize it.</p>
          <button type="button" className="danger-button" onClick={() => setUnpublishing(true)}>
            Unpublish
          </button>
          <ConfirmDialog
            open={unpublishing}
            onClose={() => setUnpublishing(false)}
            title={`Unpublish ${state.name}?`}
            description={`People outside ${organization} lose access at once: their consents and refresh tokens for ${state.name} end, and they cannot sign in to it again. ${pending ? "The pending review is withdrawn. " : ""}Members of ${organization} keep theirs. Publishing again needs a new review.`}
            confirmLabel="Unpublish application"
            busy={unpublishBusy}
            onConfirm={async () => {
              const result = await unpublish({ applicationId: state.id }, PUBLICATION_TYPENAMES);
              const outcome = result.data?.unpublishApplication;
              if (outcome?.__typename === "UnpublishApplicationSuccess") {
                setNotice(`${state.name} is private again.`);
                return null;
              }
              return failureOf(result, outcome, "The application could not be unpublished.");
            }}
          />
        </section>
      )}

    </>
  );
}

function LatestRequest({ request }: { request: ConsolePublicationRequestFieldsFragment }) {
  return (
    <dl className="facts">
      <dt>Status</dt>
      <dd>
        <span className={PUBLICATION_STATUS_BADGE[request.status]}>{PUBLICATION_STATUS_LABEL[request.status]}</span>
        {request.decidedAt && <span className="muted"> {formatDate(request.decidedAt)}</span>}
      </dd>
      <dt>Origin</dt>
      <dd>{PUBLICATION_ORIGIN_LABEL[request.origin]}</dd>
      <dt>Requested</dt>
      <dd>{formatDate(request.createdAt)}</dd>
      {request.notes && (
        <>
          <dt>Notes</dt>
          <dd className="prewrap">{request.notes}</dd>
        </>
      )}
      {request.reason && (
        <>
          <dt>{request.status === "REJECTED" ? "Reason for rejection" : "Reason"}</dt>
          <dd className="prewrap">{request.reason}</dd>
        </>
      )}
    </dl>
  );
}

function RequestForm({
  applicationId,
  missing,
  onRequested,
}: {
  applicationId: string;
  missing: readonly { path: readonly string[]; code: string; message: string }[];
  onRequested(): void;
}) {
  const [problems, setProblems] = useState<string[]>([]);
  const [, request] = useMutation(RequestPublicationMutation);
  const { register, handleSubmit, setError, reset, formState } = useForm<PublicationRequestFormValues>({ defaultValues: { notes: "" }, resolver: zodResolver(publicationRequestForm) });
  const blockedId = useId();
  const submit = handleSubmit(async (values) => {
    const result = await request({ input: { applicationId, notes: values.notes.trim() || null } }, PUBLICATION_TYPENAMES);
    const outcome = result.data?.requestPublication;
    if (outcome?.__typename === "RequestPublicationSuccess") {
      setProblems([]);
      reset({ notes: "" });
      onRequested();
    } else if (outcome?.__typename === "ValidationError") {
      // The notes' own rule at the field; what the application lacks in the list above the form.
      const atNotes = outcome.fieldErrors.filter((f) => f.path[0] === "notes");
      for (const f of atNotes) setError("notes", { type: "server", message: f.message.charAt(0).toUpperCase() + f.message.slice(1) }, { shouldFocus: true });
      setProblems(outcome.fieldErrors.filter((f) => f.path[0] !== "notes").map((f) => f.message));
    } else setProblems([failureOf(result, outcome, "The request could not be sent.")]);
  });
  const ready = missing.length === 0;
  return (
    <section aria-labelledby="request-title">
      <h2 id="request-title">Request publication</h2>
      <p>Published applications can be authorized by people of any organization. An operator reviews the request first.</p>
      {!ready && (
        <div className="notice warning" id={blockedId}>
          <p className="notice-title">Before you can request publication, add:</p>
          <ul className="missing">
            {missing.map((m) => {
              const field = m.path[0] ?? "";
              const label = SETTINGS_FIELD[field];
              return (
                <li key={m.code}>
                  {label ? (
                    <Link to={`../settings?field=${encodeURIComponent(field)}`} relative="path">
                      {label}
                    </Link>
                  ) : null}
                  {label ? ": " : ""}
                  {m.message}
                </li>
              );
            })}
          </ul>
        </div>
      )}
      {problems.length > 0 && (
        <div className="notice error" role="alert">
          {problems.length === 1 ? (
            problems[0]
          ) : (
            <ul className="missing">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <form className="request-form" noValidate onSubmit={submit}>
        <Field label="Notes for the reviewers" hint={`Optional; at most ${PUBLICATION_LIMITS.notesMax} characters.`} error={formState.errors.notes?.message}>
          <textarea className="prose" rows={3} placeholder="What the application does, who will use it" {...register("notes")} />
        </Field>
        <div className="actions start">
          <button type="submit" className="primary" disabled={!ready || formState.isSubmitting} aria-describedby={ready ? undefined : blockedId}>
            Request publication
          </button>
        </div>
      </form>
    </section>
  );
}
