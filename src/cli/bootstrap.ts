// `scopekeeper bootstrap`: an organization plus an M2M admin application holding the admin
// API's own scopes, and its secret printed once.
import type { Services } from "../services.ts";
import { MANAGE_SCOPE, READ_SCOPE, type Principal } from "../auth/principal.ts";
import { ValidationError } from "../applications/errors.ts";
import { audit } from "../applications/service.ts";
import { publicId } from "../ids.ts";

export interface BootstrapResult {
  organizationId: string;
  clientId: string;
  clientSecret: string;
}

export async function bootstrapOrganization(services: Services, orgName: string): Promise<BootstrapResult & { organizationDbId: string }> {
  const name = orgName.trim();
  if (!name || name.length > 100) throw new ValidationError([{ path: ["org"], message: "must be 1-100 characters" }]);
  const org = await services.db.$transaction(async (tx) => {
    if (await tx.organization.findUnique({ where: { name } })) {
      throw new ValidationError([{ path: ["org"], message: `an organization named ${JSON.stringify(name)} already exists` }]);
    }
    // The first organization operates the server.
    const isOperator = (await tx.organization.count()) === 0;
    const created = await tx.organization.create({ data: { name, isOperator } });
    await audit(tx, null, created.id, "organization.created", created.id, { name, isOperator });
    return created;
  });
  // The CLI acts with the operator's full authority over the new organization.
  const system: Principal = {
    kind: "APPLICATION",
    subject: "system:bootstrap",
    userId: null,
    clientId: "",
    organizationId: org.id,
    isOperator: org.isOperator,
    scopes: new Set([MANAGE_SCOPE]),
    roles: new Map([[org.id, "ADMIN"]]),
  };
  const app = await services.applications.create(system, {
    name: `${name} admin`,
    description: "Created by scopekeeper bootstrap to manage this organization's applications.",
    applicationType: "M2M",
    organizationId: org.id,
    scopes: [READ_SCOPE, MANAGE_SCOPE],
  });
  const { plaintext } = await services.applications.addSecret(system, app.id, { description: "bootstrap" });
  return {
    organizationId: publicId("Organization", org.id),
    organizationDbId: org.id,
    clientId: app.clientId,
    clientSecret: plaintext,
  };
}
