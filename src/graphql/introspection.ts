// Schema introspection (__schema, __type) in production is for admins only: DESIGN promises
// admin tokens introspection in every environment, and nobody else needs a map of the API
// there. Outside production every caller keeps it (GraphiQL, codegen). __typename stays.
import { NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Principal } from "../access/principal.ts";
import { administeredOrganizationIds } from "../access/policy.ts";
import type { Config } from "../config/index.ts";

/** An admin: ADMIN of at least one organization (an admin application is ADMIN of its own). */
export function mayIntrospect(config: Config, principal: Principal | undefined): boolean {
  return config.env !== "production" || (principal !== undefined && administeredOrganizationIds(principal).length > 0);
}

export function useIntrospectionForAdmins(config: Config): Plugin {
  return {
    onValidate({ context, addValidationRule }) {
      // The handler passes the principal it resolved as the server context; absent means nobody.
      const principal = (context as { principal?: Principal }).principal;
      if (!mayIntrospect(config, principal)) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
