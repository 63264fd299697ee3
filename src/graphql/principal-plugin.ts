// Principal resolution as a Yoga plugin: every /graphql request needs a bearer token issued by
// this server; without a valid one the answer is HTTP 401 with an RFC 6750 challenge, before
// anything is parsed. The principal then joins the context as `principal`. OPTIONS and the
// GraphiQL page (outside production) need no token. A host that already resolved the
// principal (e.g. to key a cache) passes it as the server context's `principal`.
import type { Plugin } from "graphql-yoga";
import { InvalidTokenError, principalFromBearer } from "../auth/bearer.ts";
import { challengeFor } from "../auth/access-tokens.ts";
import { NOBODY, type Principal } from "../auth/principal.ts";
import type { Services } from "../services.ts";

export function usePrincipal(services: Services, options: { graphiql: boolean }): Plugin<{ principal?: Principal }> {
  const principals = new WeakMap<Request, Principal>();
  return {
    async onRequest({ request, serverContext, endResponse, fetchAPI }) {
      const given = (serverContext as { principal?: Principal } | undefined)?.principal;
      if (given) return void principals.set(request, given);
      const wantsGraphiQL = options.graphiql && request.method === "GET" && (request.headers.get("accept") ?? "").includes("text/html");
      if (request.method === "OPTIONS" || wantsGraphiQL) return void principals.set(request, NOBODY);
      try {
        principals.set(
          request,
          await principalFromBearer(request.headers.get("authorization") ?? undefined, services, { proof: request.headers.get("dpop"), method: request.method }),
        );
      } catch (err) {
        if (!(err instanceof InvalidTokenError)) throw err;
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message: err.message, extensions: { code: "UNAUTHENTICATED" } }] }), {
            status: 401,
            headers: {
              "content-type": "application/json; charset=utf-8",
              ...challengeFor(err),
            },
          }),
        );
      }
    },
    onContextBuilding({ context, extendContext }) {
      const request = (context as { request?: Request }).request;
      extendContext({ principal: (request && principals.get(request)) ?? NOBODY });
    },
  };
}
