// Every supported grant; adding a grant is adding a module and a line in this list.
import { authorizationCode } from "./authorization-code.ts";
import { clientCredentials } from "./client-credentials.ts";
import { refreshToken } from "./refresh-token.ts";
import type { Grant } from "./types.ts";

const ALL: readonly Grant[] = [authorizationCode, clientCredentials, refreshToken];

export const grants: ReadonlyMap<string, Grant> = new Map(ALL.map((g) => [g.grantType, g]));
