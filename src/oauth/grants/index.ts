// Every supported grant; adding a grant is adding a module and a line here.
import { authorizationCode } from "./authorization-code.ts";
import { clientCredentials } from "./client-credentials.ts";
import { jwtBearerOnBehalfOf } from "./jwt-bearer-obo.ts";
import { refreshToken } from "./refresh-token.ts";
import { tokenExchange } from "./token-exchange.ts";
import type { Grant } from "./types.ts";

export const grants: ReadonlyMap<string, Grant> = new Map([authorizationCode, clientCredentials, refreshToken, tokenExchange, jwtBearerOnBehalfOf].map((g) => [g.grantType, g]));
