// The three forms of RFC 8693 token exchange at one place, each behind its application
// switch, checked in the same order for every form: switch, scopes, target, then the subject
// (the expensive part: signatures, key fetches, database reads).
import type { AuthenticatedClient } from "../client-auth.ts";
import { audit } from "../../audit/record.ts";
import { grantsFor, isConnectScope, personTokenScopes, type PersonGrant } from "../../access/policy.ts";
import type { ClientView } from "../../applications/client-directory.ts";
import { publicId } from "../../ids.ts";
import { InvalidRequest, InvalidScope, UnauthorizedClient } from "../errors.ts";
import type { TokenResponse } from "../issuance/index.ts";
import { parseScope } from "../scope.ts";
import { externalSubject, issuerOf } from "./external-subject.ts";
import { externalExchangeScopes, issueExchangedToken } from "./issue.ts";
import { namedSubject, onBehalfOfScopes, subjectFromAccessToken } from "./on-behalf-of.ts";
import type { ExchangeDeps } from "./deps.ts";
import { checkTarget } from "./target.ts";
import { TOKEN_TYPE } from "./token-types.ts";

export interface ExchangeParams {
  subject_token?: string;
  subject_token_type?: string;
  scope?: string;
  resource?: string;
  audience?: string;
  identity_provider?: string;
  requested_token_type?: string;
  actor_token?: string;
  actor_token_type?: string;
}

const JWT_TYPES: ReadonlySet<string> = new Set([TOKEN_TYPE.accessToken, TOKEN_TYPE.jwt, TOKEN_TYPE.idToken]);
const NAMED_TYPES: ReadonlySet<string> = new Set([TOKEN_TYPE.email, TOKEN_TYPE.userId]);

/** The requested scopes; the admin API's are never issued by exchange or on-behalf-of (oauth.connect_scopes). */
function requestedScopes(scope: string | undefined): string[] {
  const scopes = parseScope(scope);
  if (scopes.length === 0) throw new InvalidScope("scope is required: name the scopes the exchanged token is for");
  const connect = scopes.filter(isConnectScope);
  if (connect.length > 0) throw new InvalidScope(`token exchange and on-behalf-of never issue the admin API's scopes: ${connect.join(" ")}`, connect.join(" "));
  return scopes;
}

/** oauth.admin_consent (and the rest of the policy) for the person the subject turned out to be. */
async function assertPersonMayHold(deps: ExchangeDeps, view: ClientView, userId: string, scopes: string[], grant: PersonGrant): Promise<void> {
  const { refused } = await personTokenScopes(deps, { app: view, userId, scopes, grant });
  if (refused.length > 0) {
    const names = refused.map((r) => r.scope).join(" ");
    throw new InvalidScope(`not allowed for this person: ${names} (${refused[0]!.reason})`, names);
  }
}

function assertConfidential(client: AuthenticatedClient): void {
  if (!client.view.confidential) throw new UnauthorizedClient("token exchange is for confidential clients only");
}

/** grant_type=urn:ietf:params:oauth:grant-type:token-exchange */
export async function tokenExchange(deps: ExchangeDeps, client: AuthenticatedClient, params: ExchangeParams): Promise<TokenResponse> {
  assertConfidential(client);
  const { view } = client;
  if (params.actor_token || params.actor_token_type) {
    throw new InvalidRequest("actor_token is not supported: the acting party is the authenticated client");
  }
  if (params.requested_token_type && params.requested_token_type !== TOKEN_TYPE.accessToken) {
    throw new InvalidRequest(`requested_token_type must be ${TOKEN_TYPE.accessToken}, the only type issued`);
  }
  const subjectToken = params.subject_token;
  const type = params.subject_token_type;
  if (!subjectToken) throw new InvalidRequest("subject_token is required");
  if (!type) throw new InvalidRequest("subject_token_type is required");

  if (NAMED_TYPES.has(type)) {
    if (!view.onBehalfOfNamedSubjects || !view.onBehalfOfEnabled) throw new UnauthorizedClient("on-behalf-of by name is not enabled for this application (onBehalfOfNamedSubjects)");
    const scopes = requestedScopes(params.scope);
    onBehalfOfScopes(deps, view, scopes);
    checkTarget(deps.catalog, scopes, params);
    const { userId, act } = await namedSubject(deps, view, type, subjectToken);
    await assertPersonMayHold(deps, view, userId, scopes, "on_behalf_of");
    const issued = await issueExchangedToken(deps, view, { userId, scopes, act });
    // Nobody presented a token of this person's: every such issuance is on the record.
    await audit(deps.db, { kind: "APPLICATION", subject: view.clientId }, view.organizationId, "on_behalf_of.issued", publicId("User", userId), {
      applicationId: publicId("ConnectApplication", view.id),
      clientId: view.clientId,
      userId: publicId("User", userId),
      scopes,
      subjectTokenType: type,
      jti: issued.jti,
    });
    return withoutJti(issued);
  }
  if (!JWT_TYPES.has(type)) {
    throw new InvalidRequest(`unsupported subject_token_type; supported: ${[...JWT_TYPES, ...NAMED_TYPES].join(", ")}`);
  }

  if (issuerOf(subjectToken) === deps.issuer) {
    if (type === TOKEN_TYPE.idToken) throw new InvalidRequest("this server's ID tokens are not subject tokens: present the person's access token");
    return onBehalfOfByToken(deps, client, subjectToken, params);
  }
  if (!view.tokenExchange.enabled) throw new UnauthorizedClient("token exchange is not enabled for this application (tokenExchange.enabled)");
  const scopes = requestedScopes(params.scope);
  externalExchangeScopes(deps, view, scopes);
  checkTarget(deps.catalog, scopes, params);
  const { userId } = await externalSubject(deps, view, subjectToken, params.identity_provider);
  await assertPersonMayHold(deps, view, userId, scopes, "token_exchange");
  return withoutJti(await issueExchangedToken(deps, view, { userId, scopes }));
}

/** On-behalf-of with a person's access token from this server (RFC 8693 form and Entra's jwt-bearer form). */
export async function onBehalfOfByToken(
  deps: ExchangeDeps,
  client: AuthenticatedClient,
  subjectToken: string,
  params: Pick<ExchangeParams, "scope" | "resource" | "audience">,
): Promise<TokenResponse> {
  assertConfidential(client);
  const { view } = client;
  if (!view.onBehalfOfEnabled) throw new UnauthorizedClient("on-behalf-of is not enabled for this application (onBehalfOfEnabled)");
  const scopes = requestedScopes(params.scope);
  onBehalfOfScopes(deps, view, scopes);
  checkTarget(deps.catalog, scopes, params);
  const { userId, act } = await subjectFromAccessToken(deps, view, subjectToken);
  // Outside a PUBLIC app's organization, its approved revision decides: its switch, its scopes.
  const granted = await grantsFor(deps.memberships, view, userId);
  if (!granted.onBehalfOfEnabled) throw new UnauthorizedClient("on-behalf-of is not part of this application's approved revision, which is what people outside its organization get");
  const notApproved = scopes.filter((s) => !granted.delegatedScopes.has(s));
  if (notApproved.length > 0) throw new InvalidScope(`not in this application's approved revision: ${notApproved.join(" ")}`);
  await assertPersonMayHold(deps, view, userId, scopes, "on_behalf_of");
  return withoutJti(await issueExchangedToken(deps, view, { userId, scopes, act }));
}

function withoutJti(issued: TokenResponse & { jti: string }): TokenResponse {
  const { jti: _jti, ...response } = issued;
  return response;
}
