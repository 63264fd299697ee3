// `scopekeeper audit export`: the audit trail as JSON lines, streamed in pages so a trail of any
// length never sits in memory at once.
import { once } from "node:events";
import { publicId } from "../../ids.ts";
import { parseOptions } from "../args.ts";
import { CliError } from "../errors.ts";
import { openDb } from "./database.ts";
import type { Command } from "./command.ts";

const PAGE = 500;

export const audit: Command = {
  name: "audit",
  summary: "audit export: stream the audit trail as JSON lines",
  help: `Usage: scopekeeper audit export --since TIME [--format jsonl] [--org ORG_ID]

Writes every audit event at or after TIME (ISO 8601, e.g. 2026-11-01 or 2026-11-01T12:00:00Z),
oldest first, one JSON object a line: id, organizationId, applicationId, actorType, actorId,
action, targetType, targetId, details, createdAt. Events never contain secrets. --org keeps
one organization's events (the organizationId printed by bootstrap). Events older than
AUDIT_RETENTION_DAYS (400 by default) have been swept.

Examples:
  scopekeeper audit export --since 2026-11-01 > audit.jsonl
  scopekeeper audit export --since 2026-11-29T00:00:00Z --org org_... | jq .action`,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub !== "export") throw new CliError(`${sub ? `unknown audit command ${JSON.stringify(sub)}` : "audit needs a command"}: use scopekeeper audit export --since TIME`);
    const values = parseOptions("audit export", rest, {
      since: { type: "string", value: "an ISO 8601 time, e.g. 2026-11-01" },
      format: { type: "string", value: "jsonl" },
      org: { type: "string", value: "the organization id printed by bootstrap (org_...)" },
    });
    if (!values.since) throw new CliError("--since is required: an ISO 8601 time, e.g. --since 2026-11-01");
    const since = new Date(values.since);
    if (Number.isNaN(since.getTime())) throw new CliError(`--since takes an ISO 8601 time such as 2026-11-01 (got ${JSON.stringify(values.since)})`);
    if (values.format !== undefined && values.format.toLowerCase() !== "jsonl") throw new CliError(`--format supports jsonl only (got ${JSON.stringify(values.format)})`);
    let organizationId: string | undefined;
    if (values.org !== undefined) {
      const match = /^org_([A-Za-z0-9-]+)$/.exec(values.org);
      if (!match) throw new CliError(`--org takes the organization id printed by bootstrap (org_...), got ${JSON.stringify(values.org)}`);
      organizationId = match[1];
    }
    return openDb(ctx.config(), async (db) => {
      let cursor: string | undefined;
      for (;;) {
        const page = await db.auditEvent.findMany({
          where: { createdAt: { gte: since }, ...(organizationId ? { organizationId } : {}) },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          take: PAGE,
          ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
        });
        for (const e of page) {
          const line = JSON.stringify({
            id: publicId("AuditEvent", e.id),
            organizationId: e.organizationId ? publicId("Organization", e.organizationId) : null,
            applicationId: e.applicationId ? publicId("ConnectApplication", e.applicationId) : null,
            actorType: e.actorType,
            actorId: e.actorId,
            action: e.action,
            targetType: e.targetType,
            targetId: e.targetId,
            details: JSON.parse(e.details) as unknown,
            createdAt: e.createdAt.toISOString(),
          });
          // Respect a slow reader (a pipe to gzip or a network copy) instead of buffering.
          if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain");
        }
        if (page.length < PAGE) break;
        cursor = page[page.length - 1]!.id;
      }
      return 0;
    });
  },
};
