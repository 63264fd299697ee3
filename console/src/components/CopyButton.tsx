import { useState } from "react";

/** Copies a value to the clipboard and says so to screen readers. */
export function CopyButton({ value, label = "Copy" }: { value: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(value).then(
            () => setCopied(true),
            () => setCopied(false),
          );
          window.setTimeout(() => setCopied(false), 2000);
        }}
      >
        {label}
      </button>
      <span className="copied" role="status">
        {copied ? "Copied" : ""}
      </span>
    </>
  );
}
