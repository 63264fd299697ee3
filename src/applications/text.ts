// Text that people read (names, descriptions, emails, URIs, notes) is refused when it carries
// control characters or bidirectional overrides: a NUL that PostgreSQL cannot store (SQLite
// would), or U+202E turning a consent page's app name around. One rule, code
// `invalid_characters`, for every door (GraphQL, /oauth/register, the CLI) and both databases.
import type { FieldError } from "../errors.ts";

/** C0 and C1 controls and DEL; multi-line text keeps tab, line feed and carriage return. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROLS_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** Embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069). */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;

export const INVALID_CHARACTERS = "invalid_characters";

export function textProblem(value: string, options: { multiline?: boolean } = {}): { code: string; message: string } | null {
  if ((options.multiline ? CONTROLS_MULTILINE : CONTROLS).test(value) || BIDI_CONTROLS.test(value)) {
    return { code: INVALID_CHARACTERS, message: "must not contain control characters or bidirectional text overrides" };
  }
  return null;
}

/** The rule for several fields at once: one FieldError per offending field, named by its path. */
export function textErrors(fields: Record<string, string | null | undefined>, multiline: readonly string[] = []): FieldError[] {
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== "string") continue;
    const problem = textProblem(value, { multiline: multiline.includes(name) });
    if (problem) errors.push({ path: [name], ...problem });
  }
  return errors;
}
