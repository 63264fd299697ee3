// `--org ID` as the commands take it: the organization id bootstrap printed (org_...). A name
// given by mistake is recognised and answered with the id it should have been.
import type { Db } from "../db/client.ts";
import { publicId, rawIdOf } from "../ids.ts";
import { CliError } from "./errors.ts";

export const ORG_ID_HELP = "the organization id printed by bootstrap (org_...)";

export async function findOrganization(db: Db, value: string) {
  const rawId = rawIdOf(value, "Organization");
  if (rawId) {
    const org = await db.organization.findUnique({ where: { id: rawId } });
    if (!org) throw new CliError(`no organization has the id ${value}: use ${ORG_ID_HELP}`);
    return org;
  }
  const byName = await db.organization.findUnique({ where: { name: value } });
  if (byName) {
    throw new CliError(`--org takes ${ORG_ID_HELP}, not its name: for ${JSON.stringify(value)} use --org ${publicId("Organization", byName.id)}`);
  }
  throw new CliError(`--org takes ${ORG_ID_HELP}, not a name; ${JSON.stringify(value)} is neither an id nor the name of an organization`);
}
