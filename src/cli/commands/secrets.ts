// `scopekeeper secrets expiring`: active client secrets that expire soon, for a cron job.
import { expiringSecrets } from "../../applications/secret-hygiene.ts";
import { publicId } from "../../ids.ts";
import { parseOptions } from "../args.ts";
import { CliError } from "../errors.ts";
import { openDb } from "./database.ts";
import type { Command } from "./command.ts";

export const secrets: Command = {
  name: "secrets",
  summary: "secrets expiring: list active client secrets that expire within N days",
  help: `Usage: scopekeeper secrets expiring [--days N] [--json]

Lists every organization's active client secrets that expire within N days (default 30),
soonest first: the application, its client ID and organization, the secret's id and last four
characters, when it expires and when it was last used. Never the secret itself. Exits 0 with
nothing to list too; --json prints one JSON array, for a cron job or a monitor.

Examples:
  scopekeeper secrets expiring
  scopekeeper secrets expiring --days 7 --json`,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub !== "expiring") throw new CliError(`${sub ? `unknown secrets command ${JSON.stringify(sub)}` : "secrets needs a command"}: use scopekeeper secrets expiring`);
    const values = parseOptions("secrets expiring", rest, { days: { type: "string", value: "a whole number of days, e.g. 30" }, json: { type: "boolean" } });
    const days = values.days === undefined ? 30 : Number(values.days);
    if (!/^\d+$/.test(values.days ?? "30") || days > 3650) throw new CliError(`--days takes a whole number of days from 0 to 3650 (got ${JSON.stringify(values.days)})`);
    return openDb(ctx.config(), async (db) => {
      const found = await expiringSecrets(db, days);
      const rows = found.map((s) => ({
        secretId: publicId("ClientSecret", s.secretId),
        hint: s.hint,
        description: s.description,
        expiresAt: s.expiresAt.toISOString(),
        lastUsedAt: s.lastUsedAt?.toISOString() ?? null,
        applicationId: publicId("ConnectApplication", s.application.id),
        clientId: s.application.clientId,
        applicationName: s.application.name,
        organizationId: s.application.organizationId ? publicId("Organization", s.application.organizationId) : null,
      }));
      if (values.json) {
        console.log(JSON.stringify(rows));
        return 0;
      }
      if (rows.length === 0) {
        console.log(`no active client secret expires within ${days} days`);
        return 0;
      }
      for (const r of rows) {
        console.log(`${r.expiresAt}  ${r.secretId} (…${r.hint})  ${r.applicationName} [${r.clientId}]  last used ${r.lastUsedAt ?? "never"}`);
      }
      return 0;
    });
  },
};
