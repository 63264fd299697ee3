// `scopekeeper bootstrap`: an organization plus an M2M admin application holding the admin
// API's own scopes, and its secret printed once.
import type { Services } from "../services.ts";
import { MANAGE_SCOPE, READ_SCOPE, type Principal } from "../access/principal.ts";
import { ValidationError } from "../errors.ts";
import { audit } from "../audit/record.ts";
import { publicId } from "../ids.ts";
import { LIMITS } from "../applications/rules.ts";
import { CliError } from "./errors.ts";

export interface BootstrapResult {
  organizationId: string;
  clientId: string;
  clientSecret: string;
}

export async function bootstrapOrganization(services: Services, orgName: string): Promise<BootstrapResult & { organizationDbId: string }> {
  const name = orgName.trim();
  if (!name || name.length > 100) throw new ValidationError([{ path: ["org"], code: "name_length", message: "must be 1-100 characters" }]);
  const org = await services.db.$transaction(async (tx) => {
    const existing = await tx.organization.findUnique({ where: { name } });
    if (existing) {
      const id = publicId("Organization", existing.id);
      throw new CliError(
        `the organization ${JSON.stringify(name)} already exists (${id}); bootstrap creates new ones. ` +
          `Lost its admin secret? Run \`scopekeeper admin reset-secret --org ${id}\``,
      );
    }
    // The first organization operates the server.
    const isOperator = (await tx.organization.count()) === 0;
    const created = await tx.organization.create({ data: { name, isOperator } });
    await audit(tx, null, created.id, "organization.created", created.id, { name, isOperator });
    return created;
  });
  const app = await services.applications.create(systemPrincipal(org), {
    name: `${name} admin`,
    description: ADMIN_APP_DESCRIPTION,
    applicationType: "M2M",
    organizationId: org.id,
    scopes: [READ_SCOPE, MANAGE_SCOPE],
  });
  const { plaintext } = await services.applications.addSecret(systemPrincipal(org), app.id, { description: "bootstrap" });
  return {
    organizationId: publicId("Organization", org.id),
    organizationDbId: org.id,
    clientId: app.clientId,
    clientSecret: plaintext,
  };
}

const ADMIN_APP_DESCRIPTION = "Created by scopekeeper bootstrap to manage this organization's applications.";

/** The CLI acts with the operator's full authority over one organization. */
function systemPrincipal(org: { id: string; isOperator: boolean }): Principal {
  return {
    kind: "APPLICATION",
    subject: "system:bootstrap",
    userId: null,
    clientId: "",
    organizationId: org.id,
    isOperator: org.isOperator,
    scopes: new Set([MANAGE_SCOPE]),
    roles: new Map([[org.id, "ADMIN"]]),
  };
}

export interface ResetSecretResult extends BootstrapResult {
  /** Secrets of the admin app that stay valid: the operator decides when to revoke them. */
  stillActive: { id: string; hint: string; description: string | null }[];
}

/**
 * A new secret for an organization's admin application (the oldest M2M app holding
 * connect.applications.manage), for when bootstrap's secret is lost. Older secrets are left
 * active: revoking them here could cut off a deployment that still has one.
 */
export async function resetAdminSecret(services: Services, org: { id: string; isOperator: boolean; name: string }): Promise<ResetSecretResult> {
  const app = await services.db.connectApplication.findFirst({
    where: { organizationId: org.id, applicationType: "M2M", scopeGrants: { some: { scope: MANAGE_SCOPE, kind: "APPLICATION" } } },
    orderBy: { createdAt: "asc" },
  });
  if (!app) {
    throw new CliError(`${org.name} has no admin application (an M2M app holding ${MANAGE_SCOPE}); create one in the console or with GraphQL`);
  }
  const now = new Date();
  const active = await services.db.clientSecret.findMany({
    where: { applicationId: app.id, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    orderBy: { createdAt: "asc" },
  });
  if (active.length >= LIMITS.activeSecretsMax) {
    throw new CliError(
      `${app.name} already has ${active.length} active secrets, the most allowed: revoke one first ` +
        `(revokeClientSecret with one of ${active.map((s) => publicId("ClientSecret", s.id)).join(", ")})`,
    );
  }
  const { plaintext } = await services.applications.addSecret(systemPrincipal(org), app.id, { description: `admin reset-secret ${now.toISOString()}` });
  return {
    organizationId: publicId("Organization", org.id),
    clientId: app.clientId,
    clientSecret: plaintext,
    stillActive: active.map((s) => ({ id: publicId("ClientSecret", s.id), hint: s.hint, description: s.description })),
  };
}
