// Microsoft Entra's on-behalf-of form (RFC 7523 jwt-bearer with requested_token_use):
// the same rules and answer as on-behalf-of through token exchange.
import { InvalidRequest } from "../errors.ts";
import { onBehalfOfByToken } from "../exchange/forms.ts";
import { exchangeDeps } from "../exchange/from-services.ts";
import { JWT_BEARER_GRANT } from "../exchange/token-types.ts";
import type { Grant } from "./types.ts";

export const jwtBearerOnBehalfOf: Grant = {
  grantType: JWT_BEARER_GRANT,
  parameters: new Set(["assertion", "requested_token_use", "scope", "resource", "audience"]),
  async handler({ client, params, services }) {
    if (params.requested_token_use !== "on_behalf_of") {
      throw new InvalidRequest("the jwt-bearer grant is served only for on-behalf-of: send requested_token_use=on_behalf_of");
    }
    if (!params.assertion) throw new InvalidRequest("assertion is required: the person's access token from this server");
    return onBehalfOfByToken(exchangeDeps(services), client, params.assertion, params);
  },
};
