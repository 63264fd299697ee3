// RFC 6749 §4.4: a confidential application acts as itself, with APPLICATION grants only.
import { issueAccessToken } from "../access-token.ts";
import { InvalidScope, UnauthorizedClient } from "../errors.ts";
import { parseScope } from "../scope.ts";
import type { Grant } from "./types.ts";

export const clientCredentials: Grant = {
  grantType: "client_credentials",
  parameters: new Set(["scope"]),
  async handler({ client, params, services }) {
    const { view } = client;
    if (!view.confidential) throw new UnauthorizedClient("public clients cannot use client_credentials");
    const requested = parseScope(params.scope);
    if (requested.length === 0) throw new InvalidScope("scope is required: name the scopes this token is for");
    const notGranted = requested.filter((s) => !view.applicationGrants.has(s));
    if (notGranted.length > 0) {
      throw new InvalidScope(`not granted to this application as APPLICATION permissions: ${notGranted.join(" ")}`);
    }
    const ttl = services.config.accessTokenTtlSeconds;
    const { token, expiresIn } = await issueAccessToken(services.keys, services.catalog, services.config.issuer, {
      subject: view.clientId,
      clientId: view.clientId,
      organizationId: view.organizationId,
      scopes: requested,
      ttlSeconds: ttl,
    });
    return { access_token: token, token_type: "Bearer", expires_in: expiresIn, scope: requested.join(" ") };
  },
};
