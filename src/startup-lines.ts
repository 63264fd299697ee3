// The first lines a server logs: where its data is, where to point a browser, what to do next.
import type { Config } from "./config/index.ts";
import { describeDatabase } from "./db/url.ts";
import type { Db } from "./db/client.ts";

export async function startupLines(config: Config, db: Db): Promise<string[]> {
  const base = config.issuer;
  const lines = [
    `scopekeeper serving ${base} (listening on ${config.host}:${config.port})`,
    `database: ${describeDatabase(config.databaseUrl)}`,
    `console: ${base}/console`,
    config.env === "production" ? `GraphQL API: ${base}/graphql (GraphiQL is off in production)` : `GraphiQL: ${base}/graphql`,
    `discovery: ${base}/.well-known/openid-configuration`,
  ];
  if ((await db.organization.count()) === 0) {
    lines.push('next: no organization yet; in another terminal run: eval "$(npx scopekeeper bootstrap --org YOUR-ORG --env)"');
  }
  return lines;
}
