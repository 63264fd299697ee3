// `scopekeeper bootstrap`: an organization and its admin application.
import { parseOptions, required } from "../args.ts";
import { bootstrapOrganization } from "../bootstrap.ts";
import { credentialsFormat, printCredentials } from "./credentials.ts";
import { openServices } from "./database.ts";
import type { Command } from "./command.ts";

export const bootstrap: Command = {
  name: "bootstrap",
  summary: "create an organization and its admin application",
  help: `Usage: scopekeeper bootstrap --org NAME [--json | --env]

Creates an organization (the first one becomes the operator organization) and an M2M admin
application holding connect.applications.read and connect.applications.manage, then prints
the organization id (org_...), the app's clientId and its clientSecret. The secret is shown
once; if it is lost, \`scopekeeper admin reset-secret --org ID\` issues a new one.

Options:
  --org NAME    the new organization's name (1-100 characters, unique)
  --json        print {"organizationId","clientId","clientSecret"}
  --env         print export ORG=... ADMIN_ID=... ADMIN_SECRET=... for eval
  --help, -h    show this help

Examples:
  scopekeeper bootstrap --org Acme
  eval "$(scopekeeper bootstrap --org Acme --env)"; echo $ORG
  scopekeeper bootstrap --org Acme --json | jq -r .clientSecret`,
  async run(args, ctx) {
    const values = parseOptions("bootstrap", args, {
      org: { type: "string", value: "the new organization's NAME (e.g. --org Acme)" },
      json: { type: "boolean" },
      env: { type: "boolean" },
    });
    const name = required(values.org, "org", "the new organization's NAME (e.g. --org Acme)");
    const format = credentialsFormat(values);
    return openServices(ctx.config(), async (services) => {
      printCredentials(await bootstrapOrganization(services, name), format);
      return 0;
    });
  },
};
