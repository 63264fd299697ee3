// `scopekeeper catalog check|list`.
import { CATALOG_USAGE, runCatalogCommand } from "../catalog.ts";
import type { Command } from "./command.ts";

export const catalog: Command = {
  name: "catalog",
  summary: "catalog check | list: validate or print the scope catalog",
  help: `${CATALOG_USAGE}
Examples:
  scopekeeper catalog check
  scopekeeper catalog list --json | jq -r '.hubs[].audience'`,
  async run(args, ctx) {
    const config = ctx.config();
    return runCatalogCommand(args, {
      issuer: config.issuer,
      pluginModules: config.pluginModules,
      audiences: config.hubAudiences,
      ...(config.pluginsDir ? { pluginsDir: config.pluginsDir } : {}),
    });
  },
};
