// The one confirmation dialog for destructive actions (remove a member, revoke a secret, remove
// an identity provider, ...): the question, what happens, Cancel, and a red button whose action
// reports its own failure inside the dialog instead of closing it.
import { useState, type ReactNode } from "react";
import { CloseButton, Modal } from "./Modal.tsx";

export function ConfirmDialog({
  open,
  onClose,
  title,
  description,
  confirmLabel,
  busy,
  onConfirm,
}: {
  open: boolean;
  onClose(): void;
  title: string;
  description?: ReactNode;
  confirmLabel: string;
  busy: boolean;
  /** Does the action; resolves to null when it worked (the dialog closes) or to the message to show. */
  onConfirm(): Promise<string | null>;
}) {
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal
      open={open}
      onOpenChange={(next) => {
        if (!next) {
          setError(null);
          onClose();
        }
      }}
      title={title}
      {...(description === undefined ? {} : { description })}
    >
      {error && (
        <div className="notice error" role="alert">
          {error}
        </div>
      )}
      <div className="actions">
        <CloseButton asChild>
          <button type="button">Cancel</button>
        </CloseButton>
        <button
          type="button"
          className="danger-button"
          disabled={busy}
          onClick={async () => {
            const failure = await onConfirm();
            if (failure === null) {
              setError(null);
              onClose();
            } else setError(failure);
          }}
        >
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

/** The message of a mutation that did not succeed: the transport error, the domain error, or a fallback. */
export function failureOf(result: { error?: { message: string } | undefined }, outcome: unknown, fallback: string): string {
  if (result.error) return result.error.message;
  // A broken rule's own words say more than the ValidationError's summary.
  if (outcome && typeof outcome === "object" && "fieldErrors" in outcome && Array.isArray(outcome.fieldErrors) && outcome.fieldErrors.length > 0) {
    const messages = (outcome.fieldErrors as { message: string }[]).map((f) => f.message.charAt(0).toUpperCase() + f.message.slice(1));
    return messages.join(" ");
  }
  if (outcome && typeof outcome === "object" && "message" in outcome && typeof outcome.message === "string") return outcome.message;
  return fallback;
}
