// GET /: where a newcomer who opens the server's address in a browser learns where to go.
import type { FastifyPluginAsync } from "fastify";
import type { Config } from "../config/index.ts";
import type { Db } from "../db/client.ts";
import { html, page, PAGE_SECURITY_HEADERS } from "./html.ts";

export function homePage(opts: { config: Config; hasOrganization: boolean }): string {
  const { config } = opts;
  const graphiql = config.env !== "production";
  return page(
    "Scopekeeper",
    html`<h1>Scopekeeper</h1>
      <p>This is an OAuth 2 authorization server. Its issuer is <code>${config.issuer}</code>.</p>
      <ul>
        <li><a href="/console">Console</a>: sign in to register applications, give them secrets and permissions, and see the apps you have connected.</li>
        ${graphiql ? html`<li><a href="/graphql">GraphiQL</a>: try the GraphQL admin API (send an admin token in the Authorization header).</li>` : ""}
        <li><a href="/.well-known/openid-configuration">Discovery document</a>: the endpoints and capabilities apps configure themselves from.</li>
      </ul>
      ${opts.hasOrganization
        ? ""
        : html`<p class="muted">No organization exists yet. Create the first one, and its admin application, with
            <code>npx scopekeeper bootstrap --org YOUR-ORG --env</code>.</p>`}`,
  );
}

export const homeRoutes: FastifyPluginAsync<{ config: Config; db: Db }> = async (app, { config, db }) => {
  app.get("/", async (_request, reply) => {
    const hasOrganization = (await db.organization.count({ take: 1 })) > 0;
    return reply.status(200).headers(PAGE_SECURITY_HEADERS).send(homePage({ config, hasOrganization }));
  });
};
