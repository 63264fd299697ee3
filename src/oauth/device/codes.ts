// RFC 8628 §6.1: the user_code a person types from a device's screen. Eight letters of an
// alphabet without vowels (no words) and without letters that read alike, shown as XXXX-XXXX;
// 20^8 ≈ 2^34.6 codes, which with the verification page's throttle makes guessing hopeless.
import { randomInt } from "node:crypto";

export const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LENGTH = 8;

/** RFC 8628 §3.2 values: how long the codes live and how often a device may poll. */
export const DEVICE_CODE_TTL_SECONDS = 600;
export const POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: every slow_down adds this to the interval. */
export const SLOW_DOWN_STEP_SECONDS = 5;

/** A fresh code, normalised (no dash). Uniform: randomInt draws without modulo bias. */
export function newUserCode(): string {
  let code = "";
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** XXXX-XXXX, as the device shows it and the page prefills it. */
export function displayUserCode(normalised: string): string {
  return `${normalised.slice(0, 4)}-${normalised.slice(4)}`;
}

/**
 * What a person typed, as stored: upper case, without spaces or dashes (RFC 8628 §6.1 says
 * to be forgiving about both). Null when it cannot be one of our codes, so nothing is looked up.
 */
export function normaliseUserCode(typed: string): string | null {
  const code = typed.toUpperCase().replace(/[\s-]/g, "");
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return null;
  return code;
}
