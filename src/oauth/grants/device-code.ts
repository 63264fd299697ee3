// RFC 8628 §3.4-3.5: the device polls with its device_code until the person decides.
// - The first poll is always answered; after that, a poll sooner than the interval after the
//   last answered one is slow_down, adds 5 s to the interval, and does not move the clock
//   (otherwise a device that polls too fast would push its own next slot away for ever).
// - Pending: authorization_pending; denied: access_denied; expired: expired_token; all 400.
// - Approved: tokens once, to the client that asked; after that the device_code is invalid_grant.
// - RFC 8707 `resource`, as at the other grants: one no requested scope belongs to is
//   invalid_target, at once (even while pending, without moving the polling clock) and again
//   against what the person approved.
import { z } from "zod";
import { grantsFor, personTokenScopes } from "../../access/policy.ts";
import { sha256 } from "../../crypto/random.ts";
import { AccessDenied, AuthorizationPending, ExpiredToken, InvalidGrant, InvalidScope, SlowDown } from "../errors.ts";
import { SLOW_DOWN_STEP_SECONDS } from "../device/codes.ts";
import { checkResource } from "../exchange/target.ts";
import { defineGrant } from "./types.ts";

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** Marks a lost race for the same approved device_code: thrown inside the transaction so it rolls back. */
class AlreadyRedeemed extends Error {}

export const deviceCode = defineGrant({
  grantType: DEVICE_CODE_GRANT,
  parameters: z.object({ device_code: z.string(), resource: z.string().optional() }),
  allowsPublicClients: true,
  needs: ["db", "issuance", "memberships", "catalog"],
  async handler({ client, params, deps: { db, issuance, memberships, catalog } }) {
    const row = await db.deviceAuthorization.findUnique({ where: { deviceCodeHash: sha256(params.device_code) } });
    // Another client's device_code is as unknown as a made-up one.
    if (!row || row.applicationId !== client.view.id) throw new InvalidGrant("the device_code is invalid");
    if (row.consumedAt) throw new InvalidGrant("the device_code was already redeemed");
    const now = Date.now();
    if (row.expiresAt.getTime() <= now) throw new ExpiredToken("the device_code has expired: start again with a new device authorization request");
    if (row.status === "DENIED") throw new AccessDenied("the person denied the request");
    checkResource(catalog, row.scopes.split(" "), params.resource);

    if (row.status === "PENDING") {
      const intervalMs = row.intervalSeconds * 1000;
      if (row.lastPolledAt && now - row.lastPolledAt.getTime() < intervalMs) {
        await db.deviceAuthorization.updateMany({ where: { id: row.id }, data: { intervalSeconds: { increment: SLOW_DOWN_STEP_SECONDS } } });
        throw new SlowDown(`polling too fast: wait at least ${row.intervalSeconds + SLOW_DOWN_STEP_SECONDS} seconds between requests`);
      }
      // Claim this slot: of two polls at once, only one is answered; the other polled too fast.
      const claimed = await db.deviceAuthorization.updateMany({ where: { id: row.id, lastPolledAt: row.lastPolledAt }, data: { lastPolledAt: new Date(now) } });
      if (claimed.count !== 1) {
        await db.deviceAuthorization.updateMany({ where: { id: row.id }, data: { intervalSeconds: { increment: SLOW_DOWN_STEP_SECONDS } } });
        throw new SlowDown(`polling too fast: wait at least ${row.intervalSeconds + SLOW_DOWN_STEP_SECONDS} seconds between requests`);
      }
      throw new AuthorizationPending("the person has not approved the request yet");
    }

    // Approved: the person's decision holds only for what the application may still do for them
    // (a scope revoked since, or outside the revision they get, does not reach the token), and
    // the policy is asked again, as their role may have changed since they allowed it.
    const userId = row.userId!;
    const { delegatedScopes } = await grantsFor(memberships, client.view, userId);
    const granted = row.scopes.split(" ").filter((s) => delegatedScopes.has(s));
    const { allowed: scopes } = await personTokenScopes({ memberships, catalog }, { app: client.view, userId, scopes: granted, grant: "device_code" });
    if (scopes.length === 0) throw new InvalidScope("none of the approved scopes is still granted to this application");
    checkResource(catalog, scopes, params.resource);
    try {
      return await db.$transaction(async (tx) => {
        const claimed = await tx.deviceAuthorization.updateMany({ where: { id: row.id, consumedAt: null }, data: { consumedAt: new Date() } });
        if (claimed.count !== 1) throw new AlreadyRedeemed();
        const issued = await issuance.userTokens(tx, {
          applicationId: row.applicationId,
          clientId: client.view.clientId,
          organizationId: client.view.organizationId,
          userId,
          scopes,
          authTime: row.authTime ?? row.decidedAt ?? new Date(),
          sessionId: row.sessionId,
        });
        return issued.response;
      });
    } catch (err) {
      if (err instanceof AlreadyRedeemed) throw new InvalidGrant("the device_code was already redeemed");
      throw err;
    }
  },
});
