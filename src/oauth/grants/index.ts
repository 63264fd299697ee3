// Every supported grant; adding a grant is adding a module and a line here.
import { clientCredentials } from "./client-credentials.ts";
import type { Grant } from "./types.ts";

export const grants: ReadonlyMap<string, Grant> = new Map([clientCredentials].map((g) => [g.grantType, g]));
