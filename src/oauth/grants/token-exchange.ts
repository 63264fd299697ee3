// RFC 8693 token exchange: an identity provider's token, a person's access token from this
// server (on-behalf-of), or a member named by email or id. The rules live in ../exchange/.
import { tokenExchange as exchange } from "../exchange/forms.ts";
import { exchangeDeps } from "../exchange/from-services.ts";
import { TOKEN_EXCHANGE_GRANT } from "../exchange/token-types.ts";
import type { Grant } from "./types.ts";

export const tokenExchange: Grant = {
  grantType: TOKEN_EXCHANGE_GRANT,
  parameters: new Set([
    "subject_token",
    "subject_token_type",
    "scope",
    "resource",
    "audience",
    "identity_provider",
    "requested_token_type",
    "actor_token",
    "actor_token_type",
  ]),
  handler: ({ client, params, services }) => exchange(exchangeDeps(services), client, params),
};
