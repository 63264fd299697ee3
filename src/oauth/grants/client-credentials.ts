// RFC 6749 §4.4: a confidential application acts as itself, with APPLICATION grants only.
// Public clients never get here: the grant does not allow them (checkGrantAllowedForClient).
import { z } from "zod";
import { InvalidScope } from "../errors.ts";
import { parseScope } from "../scope.ts";
import { checkResource } from "../exchange/target.ts";
import { defineGrant } from "./types.ts";

export const clientCredentials = defineGrant({
  grantType: "client_credentials",
  parameters: z.object({ scope: z.string().optional(), resource: z.string().optional() }),
  needs: ["issuance", "catalog"],
  async handler({ client: { view }, params, deps: { issuance, catalog } }) {
    const requested = parseScope(params.scope);
    if (requested.length === 0) throw new InvalidScope("scope is required: name the scopes this token is for");
    const notGranted = requested.filter((s) => !view.applicationGrants.has(s));
    if (notGranted.length > 0) {
      throw new InvalidScope(`not granted to this application as APPLICATION permissions: ${notGranted.join(" ")}`, notGranted.join(" "));
    }
    checkResource(catalog, requested, params.resource);
    return issuance.applicationAccessToken(view, requested);
  },
});
