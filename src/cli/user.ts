// `scopekeeper user add`: people who log in to authorize applications.
import { parseArgs } from "node:util";
import type { Config } from "../config/index.ts";
import { createDb } from "../db/client.ts";
import { audit } from "../applications/service.ts";
import { hashPassword } from "../auth/users.ts";
import { rawIdOf } from "../ids.ts";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function runUserCommand(argv: string[], config: Config): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "add") {
    console.error("usage: scopekeeper user add --org ID --email EMAIL --password PASSWORD --role ADMIN|MEMBER");
    return 1;
  }
  const { values } = parseArgs({
    args: rest,
    options: { org: { type: "string" }, email: { type: "string" }, password: { type: "string" }, role: { type: "string" }, name: { type: "string" } },
    strict: true,
  });
  const problems: string[] = [];
  if (!values.org) problems.push("--org is required (the organizationId printed by bootstrap)");
  if (!values.email || !EMAIL.test(values.email)) problems.push("--email must be an email address");
  if (!values.password || values.password.length < 8) problems.push("--password must be at least 8 characters");
  if (values.role !== "ADMIN" && values.role !== "MEMBER") problems.push("--role must be ADMIN or MEMBER");
  if (problems.length > 0) {
    for (const p of problems) console.error(`scopekeeper: ${p}`);
    return 1;
  }
  // The organizationId bootstrap printed (org_...); a bare database id is accepted too.
  const orgId = rawIdOf(values.org, "Organization") ?? values.org!;
  const { db } = await createDb(config.databaseUrl);
  try {
    const org = await db.organization.findUnique({ where: { id: orgId } });
    if (!org) {
      console.error(`scopekeeper: no organization ${values.org}`);
      return 1;
    }
    const email = values.email!.toLowerCase();
    const passwordHash = await hashPassword(values.password!, config.argon2);
    const user = await db.$transaction(async (tx) => {
      const existing = await tx.user.findUnique({ where: { email } });
      const u = existing ?? (await tx.user.create({ data: { email, passwordHash, name: values.name ?? null } }));
      await tx.membership.upsert({
        where: { organizationId_userId: { organizationId: org.id, userId: u.id } },
        create: { organizationId: org.id, userId: u.id, role: values.role! },
        update: { role: values.role! },
      });
      await audit(tx, null, org.id, existing ? "membership.updated" : "user.created", u.id, { email, role: values.role });
      return { user: u, existed: Boolean(existing) };
    });
    console.log(
      user.existed
        ? `${email} is now ${values.role} of ${org.name} (existing user; password unchanged)`
        : `added ${email} as ${values.role} of ${org.name}`,
    );
    return 0;
  } finally {
    await db.$disconnect();
  }
}
