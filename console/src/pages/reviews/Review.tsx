// One publication request under review: the application and its organization, the notes, the
// diff against the approved revision, and the decision (Approve, or Reject with a reason the
// organization will read).
import { zodResolver } from "@hookform/resolvers/zod";
import { useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { AppLogo } from "../../components/AppLogo.tsx";
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { ApprovePublicationMutation, PublicationRequestQuery, RejectPublicationMutation } from "../../operations.ts";
import { ConfirmDialog, failureOf } from "../../components/ConfirmDialog.tsx";
import { Field } from "../../components/Field.tsx";
import { placeServerErrors } from "../../components/form.ts";
import { PUBLICATION_LIMITS, rejectForm, type RejectFormValues } from "../../rules.ts";
import { CloseButton, Modal } from "../../components/Modal.tsx";
import { ErrorNotice } from "../../components/Notice.tsx";
import { PublicationDiff } from "../../components/PublicationDiff.tsx";
import { PUBLICATION_ORIGIN_LABEL, PUBLICATION_STATUS_BADGE, PUBLICATION_STATUS_LABEL, formatDate } from "../../labels.ts";
import { useSession } from "../../session.tsx";
import { OperatorsOnly } from "./OperatorsOnly.tsx";

const DECISION_TYPENAMES = { additionalTypenames: ["PublicationRequest", "ConnectApplication"] };

export function ReviewPage() {
  const { isOperatorAdmin } = useSession();
  if (!isOperatorAdmin) return <OperatorsOnly title="Review" />;
  return <Review />;
}

function Review() {
  const { id = "" } = useParams();
  const context = useMemo(() => ({ additionalTypenames: ["PublicationRequest"] }), []);
  const [{ data, error, fetching }, reload] = useQuery({ query: PublicationRequestQuery, variables: { id }, context });
  const [{ fetching: approving }, approve] = useMutation(ApprovePublicationMutation);
  const [rejecting, setRejecting] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [decided, setDecided] = useState<string | null>(null);

  if (error) return <ErrorNotice error={error} />;
  const request = data?.node?.__typename === "PublicationRequest" ? data.node : null;
  if (!request) {
    if (fetching) return <p aria-live="polite">Loading request…</p>;
    return (
      <section>
        <h1>Request not found</h1>
        <p>
          No publication request has this id. Back to the <Link to="/reviews">Review queue</Link>.
        </p>
      </section>
    );
  }
  const app = request.application;
  // Decided here: the buttons go at once, before the refetched request says so too.
  const pending = request.status === "PENDING" && !decided;
  const firstPublication = request.changes.every((c) => c.approved == null);
  return (
    <section>
      <p className="crumbs">
        <Link to="/reviews">Review queue</Link> /
      </p>
      <div className="app-head">
        <AppLogo name={app.name} uri={app.logoUri} size={48} />
        <div>
          <h1>Review {app.name}</h1>
          <p className="meta">
            {app.organization?.name ?? "First-party"} · {firstPublication ? "First publication" : "Change to a published application"}
          </p>
        </div>
      </div>
      {decided && (
        <div className="notice success" role="status">
          {decided}
        </div>
      )}
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
        <dt>Notes</dt>
        <dd className="prewrap">{request.notes ?? <span className="muted">None</span>}</dd>
        {request.reason && (
          <>
            <dt>Reason</dt>
            <dd className="prewrap">{request.reason}</dd>
          </>
        )}
        <dt>Description</dt>
        <dd className="prewrap">{app.description ?? <span className="muted">None</span>}</dd>
        <dt>Terms of service</dt>
        <dd>{app.termsOfServiceUri ? <ExternalLink href={app.termsOfServiceUri} /> : <span className="muted">None</span>}</dd>
        <dt>Privacy policy</dt>
        <dd>{app.privacyPolicyUri ? <ExternalLink href={app.privacyPolicyUri} /> : <span className="muted">None</span>}</dd>
      </dl>
      <h2>Changes against the approved revision</h2>
      <PublicationDiff changes={request.changes} caption={firstPublication ? "Every critical field (first publication)" : "Critical fields that changed"} />
      {problem && (
        <div className="notice error" role="alert">
          {problem}
        </div>
      )}
      {pending && (
        <div className="actions start decision">
          <button type="button" className="primary" disabled={approving} onClick={() => setConfirming(true)}>
            Approve
          </button>
          <button type="button" className="danger-button" onClick={() => setRejecting(true)}>
            Reject
          </button>
        </div>
      )}
      {!pending && (
        <p>
          <Link to="/reviews">Back to the review queue</Link>
        </p>
      )}
      <ConfirmDialog
        open={confirming}
        onClose={() => setConfirming(false)}
        title={`Approve ${app.name}?`}
        description={`It becomes public: people outside ${app.organization?.name ?? "its organization"} can sign in to it, with the redirect URIs and permissions shown here.`}
        confirmLabel="Approve and publish"
        busy={approving}
        onConfirm={async () => {
          // The digest of what is on screen: a change the organization made since is not approved unseen.
          const result = await approve({ requestId: request.id, revisionDigest: request.revisionDigest ?? null }, DECISION_TYPENAMES);
          const outcome = result.data?.approvePublication;
          if (outcome?.__typename === "ApprovePublicationSuccess") {
            setProblem(null);
            setDecided(`Approved: ${app.name} is public${firstPublication ? "" : " with these changes"}.`);
            return null;
          }
          setProblem(failureOf(result, outcome, "The request could not be approved."));
          // Show what changed: the diff below is loaded again.
          if (outcome?.__typename === "ValidationError") reload({ requestPolicy: "network-only" });
          return null;
        }}
      />
      <RejectDialog
        open={rejecting}
        requestId={request.id}
        appName={app.name}
        organization={app.organization?.name ?? "the organization"}
        onClose={() => setRejecting(false)}
        onRejected={() => {
          setProblem(null);
          setDecided(`Rejected: ${app.organization?.name ?? "the organization"} sees your reason on the application's Publication tab.`);
        }}
      />
    </section>
  );
}

function ExternalLink({ href }: { href: string }) {
  return (
    <a href={href} target="_blank" rel="noreferrer noopener" className="break">
      {href}
    </a>
  );
}

function RejectDialog({
  open,
  requestId,
  appName,
  organization,
  onClose,
  onRejected,
}: {
  open: boolean;
  requestId: string;
  appName: string;
  organization: string;
  onClose(): void;
  onRejected(): void;
}) {
  const [problem, setProblem] = useState<string | null>(null);
  const [, reject] = useMutation(RejectPublicationMutation);
  const { register, handleSubmit, setError, reset, formState } = useForm<RejectFormValues>({ defaultValues: { reason: "" }, resolver: zodResolver(rejectForm) });
  const close = () => {
    reset({ reason: "" });
    setProblem(null);
    onClose();
  };
  const submit = handleSubmit(async (values) => {
    setProblem(null);
    const result = await reject({ requestId, reason: values.reason.trim() }, DECISION_TYPENAMES);
    const outcome = result.data?.rejectPublication;
    if (outcome?.__typename === "RejectPublicationSuccess") {
      close();
      onRejected();
    } else setProblem(placeServerErrors(result, outcome, setError, { reason: "reason" }, "The request could not be rejected."));
  });
  return (
    <Modal open={open} onOpenChange={(next) => !next && close()} title={`Reject ${appName}?`} description={`${organization} reads the reason on the application's Publication tab and may request again.`}>
      <form noValidate onSubmit={submit}>
        {problem && (
          <div className="notice error" role="alert">
            {problem}
          </div>
        )}
        <Field label="Reason" hint={`Required. At most ${PUBLICATION_LIMITS.reasonMax} characters.`} error={formState.errors.reason?.message}>
          <textarea className="prose" rows={4} {...register("reason")} />
        </Field>
        <div className="actions">
          <CloseButton asChild>
            <button type="button">Cancel</button>
          </CloseButton>
          <button type="submit" className="danger-button" disabled={formState.isSubmitting}>
            Reject request
          </button>
        </div>
      </form>
    </Modal>
  );
}
