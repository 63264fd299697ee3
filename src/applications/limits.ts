// The numbers and patterns behind the application fields' rules, with no imports, so that the
// console's build takes its limits from here (console/src/components/ApplicationForm.tsx and
// the other forms import this file) and the server and the console can never disagree.
// fields.ts declares the rules with them.

export const LIMITS = {
  nameMax: 100,
  descriptionMax: 1000,
  redirectUrisMax: 20,
  uriMax: 2000,
  secretDescriptionMax: 100,
  secretExpiresInDaysMax: 730,
  activeSecretsMax: 5,
  tokenExchangeTtlMin: 60,
  tokenExchangeTtlMax: 86400,
  tokenExchangeTtlDefault: 3600,
} as const;

export const CLIENT_CODE_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;
