// On-behalf-of: an application acts for a person, either with an access token this server
// issued to that person (for any app) or, where the app's switch allows it, naming the
// person (eGain's form). The subject token goes through the ONE access-token verifier, so a
// revoked or expired token, or one of a deleted application, is refused here as everywhere.
import type { ClientView } from "../../applications/client-directory.ts";
import { InvalidTokenError } from "../../auth/access-tokens.ts";
import { isSubjectMember, mayActForPerson } from "../../access/policy.ts";
import { rawIdOf } from "../../ids.ts";
import { InvalidGrant, InvalidScope } from "../errors.ts";
import type { ExchangeDeps } from "./deps.ts";
import { TOKEN_TYPE } from "./token-types.ts";

/** RFC 8693 §4.1: the current actor outermost, earlier actors nested inside. */
export interface ActClaim {
  sub: string;
  act?: ActClaim;
}

export async function subjectFromAccessToken(deps: Pick<ExchangeDeps, "db" | "verifyAccessToken" | "memberships">, client: ClientView, token: string): Promise<{ userId: string; act: ActClaim }> {
  let verified;
  try {
    verified = await deps.verifyAccessToken(token);
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new InvalidGrant(`the subject token is not usable: ${err.message}`);
    throw err;
  }
  if (!verified.userId) {
    throw new InvalidGrant("the subject token was issued to an application for itself; on-behalf-of needs a token issued to a person");
  }
  await assertMayActFor(deps, client, verified.userId);
  const prior = verified.payload.act;
  const act: ActClaim = { sub: client.clientId, ...(isAct(prior) ? { act: prior } : {}) };
  return { userId: verified.userId, act };
}

/** eGain's form: the person named by email or `usr_` id, members of the app's organization only. */
export async function namedSubject(deps: Pick<ExchangeDeps, "db" | "verifyAccessToken" | "memberships">, client: ClientView, type: string, value: string): Promise<{ userId: string; act: ActClaim }> {
  const notFound = new InvalidGrant("the subject names no member of this application's organization");
  if (!client.organizationId) throw notFound;
  let userId: string | null;
  if (type === TOKEN_TYPE.email) {
    const user = await deps.db.user.findUnique({ where: { email: value.trim().toLowerCase() }, select: { id: true } });
    userId = user?.id ?? null;
  } else {
    userId = rawIdOf(value, "User");
  }
  if (!userId || !(await isSubjectMember(deps.memberships, client, userId))) throw notFound;
  return { userId, act: { sub: client.clientId } };
}

/** Only scopes flagged onBehalfOf, granted to the acting app as DELEGATED. */
export function onBehalfOfScopes(deps: Pick<ExchangeDeps, "catalog">, client: ClientView, requested: readonly string[]): void {
  const notObo = requested.filter((s) => !deps.catalog.scope(s)?.onBehalfOf);
  if (notObo.length > 0) {
    throw new InvalidScope(`on-behalf-of issues only scopes flagged onBehalfOf in the catalog; not such a scope: ${notObo.join(" ")}`);
  }
  const notGranted = requested.filter((s) => !client.delegatedGrants.has(s));
  if (notGranted.length > 0) throw new InvalidScope(`not granted to this application as DELEGATED permissions: ${notGranted.join(" ")}`);
}

/** oauth.act_for_person: a member of the acting app's organization, a person who consented to it, or a first-party app. */
async function assertMayActFor(deps: Pick<ExchangeDeps, "db" | "memberships">, client: ClientView, userId: string): Promise<void> {
  const hasConsented = async (user: string, applicationId: string) =>
    (await deps.db.consent.findUnique({ where: { userId_applicationId: { userId: user, applicationId } }, select: { id: true } })) !== null;
  if (!(await mayActForPerson({ memberships: deps.memberships, hasConsented }, client, userId))) {
    throw new InvalidGrant("the subject token's person is not a member of this application's organization and has not consented to it");
  }
}

function isAct(value: unknown): value is ActClaim {
  return typeof value === "object" && value !== null && typeof (value as { sub?: unknown }).sub === "string";
}
