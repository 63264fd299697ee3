// External token exchange: which member of the application's organization an identity
// provider's token stands for. The provider is chosen by the token's issuer among the
// organization's providers (or named with `identity_provider`), the token verified with its
// keys, and its subject mapped by verified email or by an explicit link.
import { decodeJwt } from "jose";
import type { ClientView } from "../../applications/client-directory.ts";
import { ExternalTokenError } from "../../auth/external-tokens.ts";
import { isSubjectMember } from "../../access/policy.ts";
import { rawIdOf } from "../../ids.ts";
import { InvalidGrant, InvalidRequest } from "../errors.ts";
import type { ExchangeDeps } from "./deps.ts";

export async function externalSubject(
  deps: Pick<ExchangeDeps, "db" | "externalTokens" | "memberships" | "providersOf" | "userIdByEmail">,
  client: ClientView,
  token: string,
  identityProvider: string | undefined,
): Promise<{ userId: string; identityProviderId: string }> {
  if (!client.organizationId) throw new InvalidGrant("this application belongs to no organization, so no identity provider is trusted for it");
  const unverified = claimsOf(token);
  const wantedId = identityProvider === undefined ? undefined : rawIdOf(identityProvider, "IdentityProvider");
  if (wantedId === null) throw new InvalidRequest("identity_provider must be the idp_ id of one of the organization's identity providers");
  let providers = (await deps.providersOf(client.organizationId)).filter((p) => p.issuer === unverified.iss && (!wantedId || p.id === wantedId));
  if (providers.length === 0) {
    throw new InvalidGrant(
      wantedId
        ? "the subject token's issuer is not the issuer of that identity provider of this application's organization"
        : "the subject token's issuer is not an identity provider of this application's organization",
    );
  }
  if (providers.length > 1) {
    providers = providers.filter((p) => unverified.aud.includes(p.audience));
    if (providers.length === 0) {
      throw new InvalidGrant("the subject token's aud does not include the audience of any identity provider of this organization with its issuer");
    }
    if (providers.length > 1) {
      throw new InvalidRequest("several identity providers of this organization share the subject token's issuer: name one with identity_provider");
    }
  }
  const provider = providers[0]!;
  let claims;
  try {
    claims = await deps.externalTokens.verify(token, provider);
  } catch (err) {
    if (err instanceof ExternalTokenError) throw new InvalidGrant(err.message);
    throw err;
  }

  let userId: string | null;
  if (provider.subjectMapping === "EMAIL") {
    // Cognito and some others send the boolean as a string.
    const verified = claims.email_verified === true || claims.email_verified === "true";
    if (typeof claims.email !== "string" || !verified) {
      throw new InvalidGrant(`identity provider ${provider.name} maps people by verified email, and the subject token carries no email with email_verified true`);
    }
    // Both from memory on the hot path: the person by email, then the membership directory.
    userId = await deps.userIdByEmail(claims.email.trim().toLowerCase());
    if (!userId) throw new InvalidGrant("no person here has the subject token's email");
  } else {
    const link = await deps.db.externalIdentity.findUnique({
      where: { identityProviderId_subject: { identityProviderId: provider.id, subject: claims.sub } },
      select: { userId: true },
    });
    userId = link?.userId ?? null;
    if (!userId) throw new InvalidGrant(`the subject token's sub is not linked to a person: an ADMIN links it with linkExternalIdentity on ${provider.name}`);
  }
  if (!(await isSubjectMember(deps.memberships, client, userId))) {
    throw new InvalidGrant("the person the subject token identifies is not a member of this application's organization");
  }
  return { userId, identityProviderId: provider.id };
}

/** Only to pick the provider; nothing is trusted before the signature is verified. */
function claimsOf(token: string): { iss: string; aud: string[] } {
  let payload;
  try {
    payload = decodeJwt(token);
  } catch {
    throw new InvalidGrant("the subject token is not a JWT");
  }
  if (typeof payload.iss !== "string") throw new InvalidGrant("the subject token has no iss claim");
  const aud = typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  return { iss: payload.iss, aud };
}

/** The unverified issuer, to route a JWT to on-behalf-of (ours) or external exchange (theirs). */
export function issuerOf(token: string): string | null {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === "string" ? iss : null;
  } catch {
    return null;
  }
}
