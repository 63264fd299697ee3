// Public ids: one opaque string per object, `<prefix>_<database id>`, the same in GraphQL,
// token claims (`org_id`, a person's `sub`), CLI output and audit events, so a resource server
// can match a token's org_id with what the admin API shows. The database keeps its own ids;
// only the doors (GraphQL, tokens, CLI) add and strip the prefix.

export const ID_PREFIXES = {
  Organization: "org",
  ConnectApplication: "app",
  ClientSecret: "sec",
  User: "usr",
  AuditEvent: "evt",
  IdentityProvider: "idp",
  PublicationRequest: "pub",
  RegistrationToken: "rat",
  Invitation: "inv",
} as const;

export type IdType = keyof typeof ID_PREFIXES;

/**
 * The console's own OAuth client (src/applications/console-client.ts): the server's fixture,
 * made right again at every start, so it is no application of the registry (the policy's
 * application.see leaves it out for everyone).
 */
export const CONSOLE_CLIENT_ID = "scopekeeper-console";

const TYPE_BY_PREFIX = new Map<string, IdType>(Object.entries(ID_PREFIXES).map(([type, prefix]) => [prefix, type as IdType]));

/** Database ids are cuids or hex: letters and digits only, bounded; anything else is not ours. */
const RAW_ID = /^[A-Za-z0-9-]{1,64}$/;

export function publicId(type: IdType, rawId: string): string {
  return `${ID_PREFIXES[type]}_${rawId}`;
}

/** The type and database id of a public id, or null for anything malformed or unknown. */
export function parsePublicId(value: unknown): { type: IdType; id: string } | null {
  if (typeof value !== "string" || value.length > 80) return null;
  const underscore = value.indexOf("_");
  if (underscore < 1) return null;
  const type = TYPE_BY_PREFIX.get(value.slice(0, underscore));
  const id = value.slice(underscore + 1);
  if (!type || !RAW_ID.test(id)) return null;
  return { type, id };
}

/** The database id behind a public id of the expected type, or null. */
export function rawIdOf(value: unknown, type: IdType): string | null {
  const parsed = parsePublicId(value);
  return parsed && parsed.type === type ? parsed.id : null;
}
