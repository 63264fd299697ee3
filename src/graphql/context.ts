// What every resolver receives. Built per request by src/graphql/yoga.ts.
import type { Catalog } from "../catalog/index.ts";
import type { Config } from "../config/index.ts";
import type { Db } from "../db/client.ts";
import type { Principal } from "../access/principal.ts";
import type { Services } from "../services.ts";

export interface GraphQLContext {
  db: Db;
  config: Config;
  catalog: Catalog;
  services: Services;
  /** The verified bearer token's subject; every /graphql request has one. */
  principal: Principal;
}
