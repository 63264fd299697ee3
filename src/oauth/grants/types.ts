// The contract of a grant: one module per grant type, registered in src/oauth/token.ts.
import type { FastifyRequest } from "fastify";
import type { AuthenticatedClient } from "../client-auth.ts";
import type { Services } from "../../services.ts";

export interface TokenResponse {
  access_token: string;
  /** RFC 8693 §2.2.1, token exchange only. */
  issued_token_type?: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

export interface Grant {
  grantType: string;
  /** Form fields this grant reads; anything else in the body is ignored. */
  parameters: ReadonlySet<string>;
  /** Public clients (SPA, NATIVE) authenticate with client_id alone (`none`) for this grant. */
  allowsPublicClients?: boolean;
  handler(ctx: {
    client: AuthenticatedClient;
    params: Record<string, string>;
    services: Services;
    request: FastifyRequest;
  }): Promise<TokenResponse>;
}
