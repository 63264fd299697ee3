// How bootstrap and admin reset-secret print an admin application's credentials: readable
// lines, JSON, or shell assignments for `eval` with the names the README uses.
import { CliError } from "../errors.ts";
import type { BootstrapResult } from "../bootstrap.ts";

export type CredentialsFormat = "text" | "json" | "env";

export function credentialsFormat(values: { json?: boolean | undefined; env?: boolean | undefined }): CredentialsFormat {
  if (values.json && values.env) throw new CliError("choose one of --json and --env");
  return values.json ? "json" : values.env ? "env" : "text";
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function printCredentials(result: BootstrapResult, format: CredentialsFormat): void {
  const { organizationId, clientId, clientSecret } = result;
  if (format === "json") console.log(JSON.stringify({ organizationId, clientId, clientSecret }));
  else if (format === "env") console.log(`export ORG=${shellQuote(organizationId)} ADMIN_ID=${shellQuote(clientId)} ADMIN_SECRET=${shellQuote(clientSecret)}`);
  else console.log(`organizationId: ${organizationId}\nclientId:       ${clientId}\nclientSecret:   ${clientSecret}`);
  if (format !== "env") console.error("Store the client secret now: it is not shown again.");
}
