// POST /oauth/device_authorization (RFC 8628 §3.1-3.2): a device without a browser asks for a
// device_code to poll with and a user_code for the person to type at /oauth/device.
// OAUTH applications only: public ones (NATIVE, SPA) name themselves by client_id, confidential
// ones authenticate as at the token endpoint.
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import type { ClientView } from "../../applications/client-directory.ts";
import type { Catalog } from "../../catalog/index.ts";
import { sha256 } from "../../crypto/random.ts";
import type { Services } from "../../services.ts";
import { authenticateClient } from "../client-auth.ts";
import { InvalidScope, UnauthorizedClient } from "../errors.ts";
import { formParams } from "../params.ts";
import { parseScope } from "../scope.ts";
import { DEVICE_CODE_TTL_SECONDS, displayUserCode, newUserCode, POLL_INTERVAL_SECONDS } from "./codes.ts";

export const DEVICE_AUTHORIZATION_PATH = "/oauth/device_authorization";
export const DEVICE_VERIFICATION_PATH = "/oauth/device";

const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === "P2002";

/**
 * The scopes a device may ask for, before anyone signs in: DELEGATED grants of either revision
 * (who will approve is not known yet; the person's own revision is applied at the decision and
 * again when the token is issued), and no on-behalf-of scope (those exist only for that flow).
 */
export function checkDeviceScopes(view: ClientView, catalog: Catalog, scope: string | undefined): string[] {
  const requested = parseScope(scope);
  if (requested.length === 0) throw new InvalidScope("scope is required: name the scopes the device asks for");
  const notGranted = requested.filter((s) => !view.delegatedGrants.has(s) && !view.approvedDelegated?.has(s));
  if (notGranted.length > 0) throw new InvalidScope(`not granted to this application: ${notGranted.join(" ")}`, notGranted.join(" "));
  const onBehalfOf = requested.filter((s) => catalog.scope(s)?.onBehalfOf);
  if (onBehalfOf.length > 0) {
    throw new InvalidScope(`on-behalf-of scopes are issued only through the on-behalf-of flow: ${onBehalfOf.join(" ")}`, onBehalfOf.join(" "));
  }
  return requested;
}

export const deviceAuthorizationRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { db, config, catalog } = services;

  app.post("/device_authorization", async (request, reply) => {
    const body = formParams(request);
    const client = await authenticateClient(request, body, services, { allowPublic: true });
    if (client.view.applicationType !== "OAUTH") throw new UnauthorizedClient("the device flow is for OAUTH applications acting for a person");
    const scopes = checkDeviceScopes(client.view, catalog, body.scope);

    const deviceCode = randomBytes(32).toString("base64url");
    const expiresAt = new Date(Date.now() + DEVICE_CODE_TTL_SECONDS * 1000);
    // A user_code already held by another row (a one-in-billions draw) is drawn again.
    for (let attempt = 0; ; attempt++) {
      const userCode = newUserCode();
      try {
        await db.deviceAuthorization.create({
          data: {
            deviceCodeHash: sha256(deviceCode),
            userCodeHash: sha256(userCode),
            applicationId: client.view.id,
            scopes: scopes.join(" "),
            intervalSeconds: POLL_INTERVAL_SECONDS,
            expiresAt,
          },
        });
      } catch (err) {
        if (isUniqueViolation(err) && attempt < 3) continue;
        throw err;
      }
      const shown = displayUserCode(userCode);
      const verificationUri = `${config.issuer}${DEVICE_VERIFICATION_PATH}`;
      return reply.headers({ "cache-control": "no-store", pragma: "no-cache" }).send({
        device_code: deviceCode,
        user_code: shown,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${shown}`,
        expires_in: DEVICE_CODE_TTL_SECONDS,
        interval: POLL_INTERVAL_SECONDS,
      });
    }
  });
};
