// Where the browser may be sent after sign-in: its own module so the sign-in and single sign-on
// routes share it without importing each other.

/** Only paths back into /oauth/authorize are followed after sign-in (no open redirect). */
export function safeReturnTo(value: string | undefined): string {
  return value && value.startsWith("/oauth/authorize?") && !value.includes("\\") ? value : "/oauth/authorize";
}
