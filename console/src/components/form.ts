// What every console form does with a mutation the server refused: each fieldError at the field
// that shows it (react-hook-form's setError, the first one focused), and the rest, with the
// transport error or the domain error's message, in words for the banner. No message is lost
// at a field nobody sees.
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";

export type ServerFieldError = { readonly path: readonly string[]; readonly message: string };

const sentence = (message: string) => message.charAt(0).toUpperCase() + message.slice(1);

/**
 * `fields` maps a server path (its first segment, or the first two joined with ".") to the form
 * field that shows it. Answers the banner's text, or null when every message sits at a field.
 */
export function placeServerErrors<T extends FieldValues>(
  result: { error?: { message: string } | undefined },
  outcome: { message?: string; fieldErrors?: readonly ServerFieldError[] } | null | undefined,
  setError: UseFormSetError<T>,
  fields: Partial<Record<string, Path<T>>>,
  fallback: string,
): string | null {
  if (result.error) return result.error.message;
  const fieldErrors = outcome?.fieldErrors ?? [];
  if (fieldErrors.length === 0) return outcome?.message ?? fallback;
  const unplaced: string[] = [];
  const byField = new Map<Path<T>, string[]>();
  for (const fe of fieldErrors) {
    const field = fields[fe.path.slice(0, 2).join(".")] ?? fields[fe.path[0] ?? ""];
    if (field) byField.set(field, [...(byField.get(field) ?? []), sentence(fe.message)]);
    else unplaced.push(`${fe.path.join(".") || "Form"}: ${fe.message}.`.replace(/\.\.$/, "."));
  }
  let first = true;
  for (const [field, messages] of byField) {
    setError(field, { type: "server", message: messages.join(" ") }, { shouldFocus: first });
    first = false;
  }
  return unplaced.length > 0 ? unplaced.join(" ") : null;
}
