// A link shown once (an invitation, a password reset): a read-only field to copy it from and
// "Done". The server keeps only its hash, so closing the dialog is the last chance to copy it.
import type { ReactNode } from "react";
import { CopyButton } from "./CopyButton.tsx";
import { CloseButton, Modal } from "./Modal.tsx";

export function OneTimeLinkDialog({
  link,
  onClose,
  inputId,
}: {
  link: { title: string; description?: ReactNode; label: string; url: string } | null;
  onClose(): void;
  inputId: string;
}) {
  return (
    <Modal open={link !== null} onOpenChange={(open) => !open && onClose()} title={link?.title ?? ""} description={link?.description}>
      {link && (
        <>
          <div className="field">
            <label htmlFor={inputId}>{link.label}</label>
            <div className="copy-row">
              <input id={inputId} type="text" readOnly value={link.url} onFocus={(e) => e.currentTarget.select()} />
              <CopyButton value={link.url} />
            </div>
          </div>
          <div className="actions">
            <CloseButton asChild>
              <button type="button" className="primary">
                Done
              </button>
            </CloseButton>
          </div>
        </>
      )}
    </Modal>
  );
}
