// A person's access token, obtained the way an app gets one: authorization code + PKCE.
import { Agent, authorize, pkcePair } from "./agent.ts";
import { basic, postForm } from "./http.ts";
import type { TestServer } from "./server.ts";

export const PERSON_CALLBACK = "https://client.example.test/callback";

export async function personToken(
  server: TestServer,
  app: { clientId: string; secret?: string },
  user: { email: string; password: string },
  scope: string,
): Promise<{ accessToken: string; scope: string; body: Record<string, unknown> }> {
  const agent = new Agent(server.url);
  const { verifier, challenge } = pkcePair();
  const url = await authorize(
    agent,
    { response_type: "code", client_id: app.clientId, redirect_uri: PERSON_CALLBACK, scope, state: "s", nonce: "n", code_challenge: challenge, code_challenge_method: "S256" },
    user,
  );
  const code = url.searchParams.get("code");
  if (!code) throw new Error(`no code: ${url}`);
  const form = { grant_type: "authorization_code", code, redirect_uri: PERSON_CALLBACK, code_verifier: verifier };
  const res = await postForm(
    `${server.url}/oauth/token`,
    app.secret ? form : { ...form, client_id: app.clientId },
    app.secret ? basic(app.clientId, app.secret) : {},
  );
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { accessToken: res.body.access_token as string, scope: res.body.scope as string, body: res.body };
}

/**
 * A person's token for the console, the operator's first-party app: the only kind of app through
 * which the admin API's scopes reach a person (DESIGN "Organizations a person's token acts in").
 */
export async function consoleToken(
  server: TestServer,
  user: { email: string; password: string },
  scope = "openid connect.applications.read connect.applications.manage",
): Promise<{ accessToken: string; scope: string; body: Record<string, unknown> }> {
  const agent = new Agent(server.url);
  const { verifier, challenge } = pkcePair();
  const redirectUri = `${server.url}/console/callback`;
  const url = await authorize(
    agent,
    { response_type: "code", client_id: "scopekeeper-console", redirect_uri: redirectUri, scope, state: "s", nonce: "n", code_challenge: challenge, code_challenge_method: "S256" },
    user,
  );
  const code = url.searchParams.get("code");
  if (!code) throw new Error(`no code: ${url}`);
  const res = await postForm(`${server.url}/oauth/token`, { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier, client_id: "scopekeeper-console" });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { accessToken: res.body.access_token as string, scope: res.body.scope as string, body: res.body };
}
