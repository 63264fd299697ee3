// Where the browser may be sent after sign-in: its own module so the sign-in and single sign-on
// routes share it without importing each other.

import { DEVICE_CONFIRM_PATH } from "./device/verification.ts";

/** Where a person manages their second factors and sessions ("Security"). */
export const ACCOUNT_PATH = "/oauth/account";

/** Only paths back into /oauth/authorize, the device flow's confirmation or the account page are followed after sign-in (no open redirect). */
export function safeReturnTo(value: string | undefined): string {
  if (value === ACCOUNT_PATH) return value;
  const known = value && (value.startsWith("/oauth/authorize?") || value.startsWith(`${DEVICE_CONFIRM_PATH}?`));
  return known && !value.includes("\\") ? value : "/oauth/authorize";
}
