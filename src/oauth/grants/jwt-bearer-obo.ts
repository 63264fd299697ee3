// Microsoft Entra's on-behalf-of form (RFC 7523 jwt-bearer with requested_token_use):
// the same rules and answer as on-behalf-of through token exchange.
import { z } from "zod";
import { InvalidRequest } from "../errors.ts";
import { onBehalfOfByToken } from "../exchange/forms.ts";
import { exchangeDepsFrom, EXCHANGE_NEEDS } from "../exchange/from-grant.ts";
import { JWT_BEARER_GRANT } from "../exchange/token-types.ts";
import { defineGrant } from "./types.ts";

const field = z.string().optional();

export const jwtBearerOnBehalfOf = defineGrant({
  grantType: JWT_BEARER_GRANT,
  parameters: z.object({ assertion: field, requested_token_use: field, scope: field, resource: field, audience: field }),
  needs: EXCHANGE_NEEDS,
  async handler({ client, params, deps }) {
    if (params.requested_token_use !== "on_behalf_of") {
      throw new InvalidRequest("the jwt-bearer grant is served only for on-behalf-of: send requested_token_use=on_behalf_of");
    }
    if (!params.assertion) throw new InvalidRequest("assertion is required: the person's access token from this server");
    return onBehalfOfByToken(exchangeDepsFrom(deps), client, params.assertion, params);
  },
});
