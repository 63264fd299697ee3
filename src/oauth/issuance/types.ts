// What issuance needs and what it answers with.
import type { Catalog } from "../../catalog/index.ts";
import type { SigningKeys } from "../../crypto/signing-keys.ts";
import type { RevocationNotes } from "../../auth/revocation-notes.ts";

/** RFC 6749 §5.1. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer" | "N_A";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
  /** RFC 8693 §2.2.1: required in a token-exchange response. */
  issued_token_type?: string;
}

export interface IssuanceSettings {
  keys: SigningKeys;
  catalog: Catalog;
  issuer: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  revocations: RevocationNotes;
}
