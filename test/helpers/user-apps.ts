// A third-party web application that people sign in to, registered through the admin API,
// and the whole front channel up to an authorization code.
import { AddSecretDocument, CreateApplicationDocument, GrantScopesDocument } from "../gql/graphql.ts";
import type { Admin } from "./admin.ts";
import { Agent, authorize, pkcePair } from "./agent.ts";
import { graphql } from "./http.ts";
import type { TestServer } from "./server.ts";

export const CALLBACK = "https://client.example.test/callback";

export interface WebApp {
  id: string;
  clientId: string;
  secret: string;
}

export async function registerWebApp(server: TestServer, admin: Admin, name: string, scopes: string[]): Promise<WebApp> {
  const res = await graphql(server.url, admin.token, CreateApplicationDocument, {
    input: { applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: admin.organizationId, name, redirectUris: [{ uri: CALLBACK }] } as never,
  });
  const r = res.data.createConnectApplication;
  if (r.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(r));
  const g = await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: r.application.id, scopes, kind: "DELEGATED" } });
  if (g.data.grantScopes.__typename !== "GrantScopesSuccess") throw new Error(JSON.stringify(g.data));
  const s = await graphql(server.url, admin.token, AddSecretDocument, { input: { applicationId: r.application.id } });
  if (s.data.addClientSecret.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(s.data));
  return { id: r.application.id, clientId: r.application.clientId, secret: s.data.addClientSecret.plaintext };
}

/** Signs the user in, consents, and returns a fresh code with its PKCE verifier. */
export async function codeFor(server: TestServer, app: WebApp, user: { email: string; password: string }, scope: string, agent = new Agent(server.url)) {
  const { verifier, challenge } = pkcePair();
  const url = await authorize(
    agent,
    { response_type: "code", client_id: app.clientId, redirect_uri: CALLBACK, scope, state: "s", nonce: "n", code_challenge: challenge, code_challenge_method: "S256" },
    user,
  );
  const code = url.searchParams.get("code");
  if (!code) throw new Error(`no code: ${url}`);
  return { code, verifier, agent };
}
