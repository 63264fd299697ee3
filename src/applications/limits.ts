// The numbers and patterns behind the registry's rules, with no imports, so that the console's
// build takes its limits from here (console/src/rules.ts imports this file and Vite bundles it:
// it needs nothing of the server) and the server and the console can never disagree.
// fields.ts, rules.ts, identity-providers.ts, members.ts and publication.ts declare their rules
// with them; test/console-rules.test.ts probes both sides at every boundary.

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
  jwksMaxLength: 16_384,
  jwksMaxKeys: 10,
} as const;

export const CLIENT_CODE_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

/** Identity providers (identity-providers.ts). */
export const IDP_LIMITS = {
  nameMax: 100,
  /** The same as PROVIDER_URL_MAX in src/auth/provider-urls.ts (checked by the console rules test). */
  uriMax: 2000,
  audienceMax: 500,
  clockSkewMax: 300,
  clockSkewDefault: 60,
  providersPerOrganization: 20,
  clientIdMax: 255,
  clientSecretMax: 1000,
  emailDomainsMax: 20,
  subjectMax: 255,
} as const;

/** People's emails (members.ts): what an invitation accepts. */
export const EMAIL_MAX = 254;
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A domain name such as example.com (sign-in providers' emailDomains). */
export const DOMAIN_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Publication requests' notes and rejections' reasons (publication.ts). */
export const PUBLICATION_LIMITS = { notesMax: 2000, reasonMax: 2000 } as const;
