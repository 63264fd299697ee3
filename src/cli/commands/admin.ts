// `scopekeeper admin reset-secret`: a new secret for an organization's admin application.
import { CliError } from "../errors.ts";
import { parseOptions, required } from "../args.ts";
import { resetAdminSecret } from "../bootstrap.ts";
import { findOrganization, ORG_ID_HELP } from "../organizations.ts";
import { credentialsFormat, printCredentials } from "./credentials.ts";
import { openServices } from "./database.ts";
import type { Command } from "./command.ts";

export const admin: Command = {
  name: "admin",
  summary: "admin reset-secret: a new secret for an organization's admin application",
  help: `Usage: scopekeeper admin reset-secret --org ID [--json | --env]

Issues a new client secret for the organization's admin application (the M2M app bootstrap
created), for when the one bootstrap printed is lost. The secret is shown once. Older secrets
stay active, so nothing that still holds one breaks; revoke them afterwards with the
revokeClientSecret mutation (their ids are printed) or in the console's Credentials tab.

Options:
  --org ID      ${ORG_ID_HELP}
  --json        print {"organizationId","clientId","clientSecret"}
  --env         print export ORG=... ADMIN_ID=... ADMIN_SECRET=... for eval
  --help, -h    show this help

Examples:
  scopekeeper admin reset-secret --org org_cmabc123
  eval "$(scopekeeper admin reset-secret --org "$ORG" --env)"`,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub !== "reset-secret") {
      throw new CliError(`${sub ? `unknown admin command ${JSON.stringify(sub)}` : "admin needs a command"}: use scopekeeper admin reset-secret --org ID`);
    }
    const values = parseOptions("admin reset-secret", rest, {
      org: { type: "string", value: ORG_ID_HELP },
      json: { type: "boolean" },
      env: { type: "boolean" },
    });
    const orgId = required(values.org, "org", ORG_ID_HELP);
    const format = credentialsFormat(values);
    return openServices(ctx.config(), async (services) => {
      const org = await findOrganization(services.db, orgId);
      const result = await resetAdminSecret(services, org);
      printCredentials(result, format);
      if (result.stillActive.length > 0) {
        console.error(
          `Older secrets of this app are still active: ${result.stillActive.map((s) => `${s.id} (…${s.hint})`).join(", ")}. ` +
            "Revoke the lost one with the revokeClientSecret mutation or in the console.",
        );
      }
      return 0;
    });
  },
};
