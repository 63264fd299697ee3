import { useId, type ReactElement, type ReactNode } from "react";
import { cloneElement } from "react";

/** A labelled control with its hint and error wired to it for screen readers. */
export function Field({ label, hint, error, children }: { label: string; hint?: ReactNode; error?: string | undefined; children: ReactElement<Record<string, unknown>> }) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, "aria-describedby": describedBy, "aria-invalid": error ? true : undefined })}
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

export function CheckField({ label, hint, error, children }: { label: string; hint?: ReactNode; error?: string | undefined; children: ReactElement<Record<string, unknown>> }) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field check${error ? " has-error" : ""}`}>
      <div className="check-row">
        {cloneElement(children, { id, "aria-describedby": describedBy, "aria-invalid": error ? true : undefined })}
        <label htmlFor={id}>{label}</label>
      </div>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
