// `scopekeeper user add|remove`: people who sign in to authorize applications.
import { audit } from "../../audit/record.ts";
import { hashPassword } from "../../auth/users.ts";
import { CliError } from "../errors.ts";
import { oneOf, parseOptions, required } from "../args.ts";
import { findOrganization, ORG_ID_HELP } from "../organizations.ts";
import { openDb } from "./database.ts";
import type { Command, CommandContext } from "./command.ts";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ROLES = ["ADMIN", "MEMBER"] as const;

const ADD_HELP = `Usage: scopekeeper user add --org ID --email EMAIL [--password PASSWORD] --role ADMIN|MEMBER [--name NAME] [--reset-password]

Adds a person to an organization with a role (ADMIN manages its applications in the console;
MEMBER signs in to apps). A new person needs --password (8 characters or more). A person who
already exists keeps their password: leave --password out to only add or change a
membership, or add --reset-password to replace it.`;

const REMOVE_HELP = `Usage: scopekeeper user remove --org ID --email EMAIL

Removes a person's membership of an organization: they can no longer authorize its private
applications nor manage it. Their account and other memberships stay.`;

export const user: Command = {
  name: "user",
  summary: "user add | remove: manage the people of an organization",
  help: `${ADD_HELP}

${REMOVE_HELP}

Options:
  --org ID            ${ORG_ID_HELP}
  --email EMAIL       the person's email address (compared without case)
  --password PASSWORD at least 8 characters
  --role ROLE         ADMIN or MEMBER (any case)
  --name NAME         a display name (optional)
  --reset-password    replace an existing person's password with --password
  --help, -h          show this help

Examples:
  scopekeeper user add --org "$ORG" --email alice@example.com --password 'a long password' --role member
  scopekeeper user add --org "$ORG" --email alice@example.com --password 'a new password' --role member --reset-password
  scopekeeper user remove --org "$ORG" --email alice@example.com`,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === "add") return add(rest, ctx);
    if (sub === "remove") return remove(rest, ctx);
    throw new CliError(`${sub ? `unknown user command ${JSON.stringify(sub)}` : "user needs a command"}: use scopekeeper user add or user remove (see scopekeeper user --help)`);
  },
};

function email(value: string | undefined): string {
  const given = required(value, "email", "the person's email address");
  if (!EMAIL.test(given)) throw new CliError(`--email must be an email address (got ${JSON.stringify(given)})`);
  return given.toLowerCase();
}

async function add(args: string[], ctx: CommandContext): Promise<number> {
  const values = parseOptions("user add", args, {
    org: { type: "string", value: ORG_ID_HELP },
    email: { type: "string", value: "the person's email address" },
    password: { type: "string", value: "a password of 8 characters or more" },
    role: { type: "string", value: "ADMIN or MEMBER" },
    name: { type: "string", value: "a display name" },
    "reset-password": { type: "boolean" },
  });
  const orgId = required(values.org, "org", ORG_ID_HELP);
  const address = email(values.email);
  const role = oneOf(values.role, "role", ROLES);
  if (values.password !== undefined && values.password.length < 8) throw new CliError("--password must be at least 8 characters");
  if (values["reset-password"] && values.password === undefined) throw new CliError("--reset-password needs --password with the new password");
  const config = ctx.config();
  return openDb(config, async (db, changes) => {
    const org = await findOrganization(db, orgId);
    const existing = await db.user.findUnique({ where: { email: address } });
    if (existing && values.password !== undefined && !values["reset-password"]) {
      throw new CliError(
        `${address} already has an account: add --reset-password to replace its password, or leave out --password to only set the membership`,
      );
    }
    if (!existing && values.password === undefined) throw new CliError(`--password is required for a new person (${address} has no account yet)`);
    const passwordHash = values.password !== undefined ? await hashPassword(values.password, config.argon2) : null;
    const userId = await db.$transaction(async (tx) => {
      const person = existing
        ? passwordHash
          ? await tx.user.update({ where: { id: existing.id }, data: { passwordHash } })
          : existing
        : await tx.user.create({ data: { email: address, passwordHash: passwordHash!, name: values.name ?? null } });
      await tx.membership.upsert({
        where: { organizationId_userId: { organizationId: org.id, userId: person.id } },
        create: { organizationId: org.id, userId: person.id, role },
        update: { role },
      });
      await audit(tx, null, org.id, existing ? "membership.updated" : "user.created", person.id, { email: address, role });
      if (existing && passwordHash) await audit(tx, null, org.id, "user.password_reset", person.id, { email: address });
      return person.id;
    });
    await changes.announce("membership", userId);
    if (!existing) console.log(`added ${address} as ${role} of ${org.name}`);
    else console.log(`${address} is ${role} of ${org.name}${passwordHash ? "; password replaced" : " (existing account; password unchanged)"}`);
    return 0;
  });
}

async function remove(args: string[], ctx: CommandContext): Promise<number> {
  const values = parseOptions("user remove", args, {
    org: { type: "string", value: ORG_ID_HELP },
    email: { type: "string", value: "the person's email address" },
  });
  const orgId = required(values.org, "org", ORG_ID_HELP);
  const address = email(values.email);
  return openDb(ctx.config(), async (db, changes) => {
    const org = await findOrganization(db, orgId);
    const person = await db.user.findUnique({ where: { email: address } });
    const membership = person
      ? await db.membership.findUnique({ where: { organizationId_userId: { organizationId: org.id, userId: person.id } } })
      : null;
    if (!person || !membership) throw new CliError(`${address} is not a member of ${org.name}`);
    await db.$transaction(async (tx) => {
      await tx.membership.delete({ where: { organizationId_userId: { organizationId: org.id, userId: person.id } } });
      await audit(tx, null, org.id, "membership.removed", person.id, { email: address });
    });
    await changes.announce("membership", person.id);
    console.log(`removed ${address} from ${org.name}`);
    return 0;
  });
}
