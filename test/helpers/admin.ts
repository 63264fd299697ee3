// An organization with an M2M admin app and a token for the admin API, as bootstrap makes them.
import { bootstrapOrganization } from "../../src/cli/bootstrap.ts";
import { clientCredentialsToken } from "./http.ts";
import type { TestServer } from "./server.ts";

export interface Admin {
  organizationId: string;
  organizationDbId: string;
  clientId: string;
  clientSecret: string;
  token: string;
}

export async function bootstrapAdmin(
  server: TestServer,
  orgName: string,
  scope = "connect.applications.read connect.applications.manage",
): Promise<Admin> {
  const result = await bootstrapOrganization(server.services, orgName);
  const token = await clientCredentialsToken(server.url, result.clientId, result.clientSecret, scope);
  return { ...result, token };
}
