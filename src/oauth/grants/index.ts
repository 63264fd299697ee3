// Every supported grant; adding a grant is adding a module and a line in this list.
import { authorizationCode } from "./authorization-code.ts";
import { clientCredentials } from "./client-credentials.ts";
import { deviceCode } from "./device-code.ts";
import { jwtBearerOnBehalfOf } from "./jwt-bearer-obo.ts";
import { refreshToken } from "./refresh-token.ts";
import { tokenExchange } from "./token-exchange.ts";
import type { Grant } from "./types.ts";

const ALL: readonly Grant[] = [authorizationCode, clientCredentials, refreshToken, tokenExchange, jwtBearerOnBehalfOf, deviceCode];

export const grants: ReadonlyMap<string, Grant> = new Map(ALL.map((g) => [g.grantType, g]));
