// Every supported grant; adding a grant is adding a module and a line here.
import { authorizationCode } from "./authorization-code.ts";
import { clientCredentials } from "./client-credentials.ts";
import { refreshToken } from "./refresh-token.ts";
import type { Grant } from "./types.ts";

export const grants: ReadonlyMap<string, Grant> = new Map([authorizationCode, clientCredentials, refreshToken].map((g) => [g.grantType, g]));
