import { InvalidScope } from "./errors.ts";

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** RFC 6749 §3.3: space-delimited, case-sensitive, order irrelevant; duplicates collapse. */
export function parseScope(value: string | undefined): string[] {
  if (!value) return [];
  const parts = value.split(" ").filter(Boolean);
  for (const p of parts) if (!SCOPE_TOKEN.test(p)) throw new InvalidScope(`malformed scope token ${JSON.stringify(p)}`);
  return [...new Set(parts)];
}
