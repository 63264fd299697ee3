// GraphiQL served entirely by this server: Yoga's default page loads its assets from a CDN,
// which a machine without internet never reaches. The editor comes from the npm package
// @graphql-yoga/render-graphiql (GraphiQL with its Monaco workers, fonts and CSS built in),
// split into files under /graphql/assets so the page runs with a CSP that allows only 'self'.
import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { GraphiQLOptions } from "graphql-yoga";
import { esc } from "../ui/html.ts";

const ASSETS = "/graphql/assets";

/** Monaco asks for its workers by label; they are files here rather than blob: URLs. */
const MONACO_ENVIRONMENT = `self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: function (moduleId, label) {
    return { editorWorkerService: "${ASSETS}/editor.worker.js", json: "${ASSETS}/json.worker.js", graphql: "${ASSETS}/graphql.worker.js" }[label];
  },
};`;

/** The page's options travel in a data attribute: the CSP allows no inline script. */
const START = `var root = document.getElementById("root");
YogaGraphiQL.renderYogaGraphiQL(root, JSON.parse(root.getAttribute("data-options") || "{}"));`;

const script = "application/javascript; charset=utf-8";

interface Assets {
  files: Record<string, { type: string; body: string }>;
  favicon: string;
  /** Versioned by content, so browsers may keep the 6 MB of assets until they change. */
  version: string;
}

let loaded: Promise<Assets> | undefined;

/** Loaded on first use: a production server, without GraphiQL, never holds the 9 MB of strings. */
function assets(): Promise<Assets> {
  loaded ??= import("@graphql-yoga/render-graphiql/graphiql").then(({ css, editorWorkerService, favicon, graphqlWorker, js, jsonWorker }) => {
    const files = {
      "graphiql.css": { type: "text/css; charset=utf-8", body: css },
      "graphiql.js": { type: script, body: js },
      "monaco-environment.js": { type: script, body: MONACO_ENVIRONMENT },
      "start.js": { type: script, body: START },
      "editor.worker.js": { type: script, body: editorWorkerService },
      "json.worker.js": { type: script, body: jsonWorker },
      "graphql.worker.js": { type: script, body: graphqlWorker },
    };
    const version = createHash("sha256")
      .update(Object.values(files).map((f) => f.body).join("\0"))
      .digest("hex")
      .slice(0, 12);
    return { files, favicon, version };
  });
  return loaded;
}

/**
 * Only this origin, for scripts, workers, styles, fonts and requests. Monaco sets element
 * styles at run time, hence 'unsafe-inline' for styles (never for scripts); the icon and
 * fonts are data: URLs inside the package.
 */
export const GRAPHIQL_CSP =
  "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * What a newcomer needs first: every operation wants an admin token in the Headers tab, and a
 * first mutation that works as written once the organization's id is in the Variables tab
 * (isFirstParty included: OAuth apps require it, false for an organization's own apps).
 */
export const GRAPHIQL_STARTER = `# Scopekeeper's admin API. Every request needs an access token from this server:
# put it in the Headers tab below as {"Authorization": "Bearer <token>"}.
#
# An organization's admin app gets one with its bootstrap credentials:
#   curl -s -u "$ADMIN_ID:$ADMIN_SECRET" -d grant_type=client_credentials \\
#     -d scope=connect.applications.manage "$ISSUER/oauth/token" | jq -r .access_token
#
# Run Viewer first; put your organization's id in the Variables tab as
# {"organizationId": "org_..."}, then run CreateWebApp.
query Viewer {
  viewer { id kind memberships { role organization { id name } } }
}

mutation CreateWebApp($organizationId: ID!) {
  createConnectApplication(input: {
    name: "My web app"
    applicationType: OAUTH
    platform: WEB
    # Required for OAuth apps: false for your organization's own apps
    # (true only for the operator's first-party applications).
    isFirstParty: false
    organizationId: $organizationId
    redirectUris: [{ uri: "https://app.example.com/callback" }]
    usesPkce: true
  }) {
    ... on CreateConnectApplicationSuccess { application { id clientId } }
    ... on ValidationError { message fieldErrors { path message } }
    ... on Error { message }
  }
}
`;

/** Yoga's `renderGraphiQL`: the same editor, its code loaded from /graphql/assets. */
export async function renderGraphiQL(options?: GraphiQLOptions): Promise<string> {
  const { favicon, version } = await assets();
  const title = options?.title ?? "Scopekeeper GraphiQL";
  const v = `?v=${version}`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${esc(title)}</title>
    <link rel="icon" href="${favicon}">
    <link rel="stylesheet" href="${ASSETS}/graphiql.css${v}">
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root" data-options="${esc(JSON.stringify({ defaultQuery: GRAPHIQL_STARTER, headers: '{"Authorization": "Bearer <token>"}', ...options, title }))}"></div>
    <script src="${ASSETS}/monaco-environment.js${v}"></script>
    <script src="${ASSETS}/graphiql.js${v}"></script>
    <script src="${ASSETS}/start.js${v}"></script>
  </body>
</html>`;
}

/** The assets, and the CSP on GraphiQL's page (Yoga answers it; this adds the header). */
export function mountGraphiQLAssets(app: FastifyInstance): void {
  app.get<{ Params: { file: string } }>(`${ASSETS}/:file`, async (request, reply) => {
    const file = (await assets()).files[request.params.file];
    if (!file) return reply.status(404).send({ error: "not_found" });
    return reply
      .headers({ "content-type": file.type, "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" })
      .send(file.body);
  });
  app.addHook("onSend", async (request, reply, payload) => {
    if (request.method === "GET" && request.url.split("?")[0] === "/graphql" && String(reply.getHeader("content-type") ?? "").startsWith("text/html")) {
      reply.headers({ "content-security-policy": GRAPHIQL_CSP, "x-frame-options": "DENY", "referrer-policy": "no-referrer" });
    }
    return payload;
  });
}
