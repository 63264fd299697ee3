// RFC 8693 token exchange: an identity provider's token, a person's access token from this
// server (on-behalf-of), or a member named by email or id. The rules live in ../exchange/.
import { z } from "zod";
import { tokenExchange as exchange } from "../exchange/forms.ts";
import { exchangeDepsFrom, EXCHANGE_NEEDS } from "../exchange/from-grant.ts";
import { TOKEN_EXCHANGE_GRANT } from "../exchange/token-types.ts";
import { defineGrant } from "./types.ts";

// Every field optional here: the exchange names what is missing in its own words.
const field = z.string().optional();

export const tokenExchange = defineGrant({
  grantType: TOKEN_EXCHANGE_GRANT,
  parameters: z.object({
    subject_token: field,
    subject_token_type: field,
    scope: field,
    resource: field,
    audience: field,
    identity_provider: field,
    requested_token_type: field,
    actor_token: field,
    actor_token_type: field,
  }),
  needs: EXCHANGE_NEEDS,
  handler: ({ client, params, deps }) => exchange(exchangeDepsFrom(deps), client, params),
});
