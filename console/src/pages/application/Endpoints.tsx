// What a developer copies into their app: the server's URLs and the client ID, and the few
// requests that get a token for this application's platform (Auth0's "Quick start", Logto's
// "Endpoints & Credentials"). The URLs come from the server's own metadata, never typed here.
import { useEffect, useState } from "react";
import { authorizationServer } from "../../auth.ts";
import { CopyButton } from "../../components/CopyButton.tsx";
import type { ConsoleApplicationFieldsFragment } from "../../gql/graphql.ts";

interface Urls {
  issuer: string;
  authorization: string;
  token: string;
  jwks: string;
  /** RFC 8628; absent when the server does not offer the device flow. */
  device: string | null;
}

function useUrls(): Urls | null {
  const [urls, setUrls] = useState<Urls | null>(null);
  useEffect(() => {
    let live = true;
    void authorizationServer().then((as) => {
      if (live)
        setUrls({
          issuer: as.issuer,
          authorization: as.authorization_endpoint ?? "",
          token: as.token_endpoint ?? "",
          jwks: as.jwks_uri ?? "",
          device: typeof as.device_authorization_endpoint === "string" ? as.device_authorization_endpoint : null,
        });
    });
    return () => {
      live = false;
    };
  }, []);
  return urls;
}

export function Endpoints({ app }: { app: ConsoleApplicationFieldsFragment }) {
  const urls = useUrls();
  if (!urls) return <p role="status">Loading endpoints…</p>;
  const rows: [string, string][] = [
    ["Issuer", urls.issuer],
    ["Authorization URL", urls.authorization],
    ["Token URL", urls.token],
    ["JWKS URL", urls.jwks],
    ...(app.platform === "NATIVE" && app.applicationType === "OAUTH" && urls.device ? ([["Device authorization URL", urls.device]] as [string, string][]) : []),
    ["Client ID", app.clientId],
  ];
  return (
    <section className="endpoints" aria-labelledby="endpoints-title">
      <h2 id="endpoints-title">Endpoints</h2>
      <dl className="copy-list">
        {rows.map(([label, value]) => (
          <div key={label} className="copy-row">
            <dt>{label}</dt>
            <dd>
              <code>{value}</code>
              <CopyButton value={value} label="Copy" />
            </dd>
          </div>
        ))}
      </dl>
      <QuickStart app={app} urls={urls} />
    </section>
  );
}

function QuickStart({ app, urls }: { app: ConsoleApplicationFieldsFragment; urls: Urls }) {
  const kind = app.applicationType === "M2M" ? "APPLICATION" : "DELEGATED";
  const granted = app.scopeGrants.filter((g) => g.kind === kind);
  const scope = granted.map((g) => g.scope.name).join(" ") || "<a scope granted under Permissions>";
  const audiences = [...new Set(granted.map((g) => g.scope.hub.audience))];
  const redirect = app.redirectUris.find((r) => r.default)?.uri ?? app.redirectUris[0]?.uri ?? "<your redirect URI>";
  const publicClient = app.applicationType === "OAUTH" && !app.confidential;
  const privateKeyJwt = app.tokenEndpointAuthMethod === "PRIVATE_KEY_JWT";
  const ASSERTION_NOTE = `# CLIENT_ASSERTION: a JWT signed with your private key (a key under Public keys), with
#   iss = sub = ${app.clientId}, aud = ${urls.issuer}, exp within 5 minutes and a new jti each time.`;
  const assertionArgs = `-d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer -d client_assertion="$CLIENT_ASSERTION"`;
  let steps: string;
  if (app.applicationType === "M2M") {
    steps = privateKeyJwt
      ? `# Get a token as the application itself (client credentials), signing in with its private key.
${ASSERTION_NOTE}
curl ${urls.token} -d grant_type=client_credentials -d scope="${scope}" \\
  ${assertionArgs}`
      : `# Get a token as the application itself (client credentials), with a secret from above.
curl -u "${app.clientId}:$CLIENT_SECRET" ${urls.token} \\
  -d grant_type=client_credentials -d scope="${scope}"`;
  } else {
    // Only scopes granted to the app (openid too must be granted), and a nonce whenever openid is asked for.
    const oidc = granted.some((g) => g.scope.name === "openid");
    const authorize = `${urls.authorization}?response_type=code&client_id=${encodeURIComponent(app.clientId)}&redirect_uri=${encodeURIComponent(redirect)}&scope=${
      granted.length ? encodeURIComponent(scope) : scope
    }&state=$STATE${oidc ? "&nonce=$NONCE" : ""}&code_challenge=$CODE_CHALLENGE&code_challenge_method=S256`;
    const exchange = publicClient
      ? `curl ${urls.token} -d grant_type=authorization_code -d client_id=${app.clientId} \\
  -d code="$CODE" -d redirect_uri=${redirect} -d code_verifier="$CODE_VERIFIER"`
      : privateKeyJwt
        ? `${ASSERTION_NOTE}
curl ${urls.token} -d grant_type=authorization_code -d code="$CODE" -d redirect_uri=${redirect} \\
  -d code_verifier="$CODE_VERIFIER" ${assertionArgs}`
        : `curl -u "${app.clientId}:$CLIENT_SECRET" ${urls.token} -d grant_type=authorization_code \\
  -d code="$CODE" -d redirect_uri=${redirect} -d code_verifier="$CODE_VERIFIER"`;
    steps = `# 1. Send the person to sign in (PKCE: CODE_CHALLENGE = base64url(SHA-256(CODE_VERIFIER))).
${authorize}
# 2. Back at ${redirect}?code=...&state=..., check state and exchange the code${publicClient ? " (a public client: client_id only, no secret)" : privateKeyJwt ? " with a client assertion" : " with a secret from above"}.
${exchange}`;
    if (app.platform === "NATIVE" && urls.device) {
      steps += `

# On a device without a browser (a TV, a command line): the device flow (RFC 8628).
# 1. Ask for a code, show the person user_code and verification_uri (or verification_uri_complete).
curl ${urls.device} -d client_id=${app.clientId} -d scope="${scope}"
# 2. While they approve on their phone or computer, poll every \`interval\` seconds (5) until the answer
#    is no longer authorization_pending (slow_down: wait 5 s longer).
curl ${urls.token} -d grant_type=urn:ietf:params:oauth:grant-type:device_code \\
  -d client_id=${app.clientId} -d device_code="$DEVICE_CODE"`;
    }
  }
  const platform = app.applicationType === "M2M" ? "M2M" : app.platform === "WEB" ? "web" : app.platform === "SPA" ? "single-page" : "native";
  return (
    <div className="quick-start">
      <h3>Quick start for {platform === "M2M" ? "an M2M application" : `a ${platform} application`}</h3>
      <pre>
        <code>{steps}</code>
      </pre>
      <p>
        Verify access tokens against the JWKS URL: issuer <code>{urls.issuer}</code>, <code>typ</code> <code>at+jwt</code>, and{" "}
        <code>aud</code>{" "}
        {audiences.length > 0 ? (
          <>
            {audiences.map((a, i) => (
              <span key={a}>
                {i > 0 ? " or " : ""}
                <code>{a}</code>
              </span>
            ))}{" "}
            (the {audiences.length > 1 ? "hubs" : "hub"} of the scopes granted)
          </>
        ) : (
          <>the audience of the hub whose scopes the token carries, e.g. <code>{urls.issuer.replace(/\/+$/, "")}/hubs/knowledge</code></>
        )}
        .
      </p>
    </div>
  );
}
