import type { CombinedError } from "urql";

/** A failed request, said in words a person can act on. */
export function ErrorNotice({ error }: { error: CombinedError | string }) {
  const text =
    typeof error === "string"
      ? error
      : error.networkError
        ? "The server could not be reached. Check your connection and reload the page."
        : error.graphQLErrors.map((e) => e.message).join("; ") || error.message;
  return (
    <div className="notice error" role="alert">
      {text}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}
