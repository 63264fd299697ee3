// How enum values read to people.
export const TYPE_LABEL: Record<string, string> = { OAUTH: "OAuth", M2M: "M2M" };
export const PLATFORM_LABEL: Record<string, string> = { WEB: "Web", SPA: "SPA", NATIVE: "Native" };
export const VISIBILITY_LABEL: Record<string, string> = { PRIVATE: "Private", PUBLIC: "Public" };

export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
