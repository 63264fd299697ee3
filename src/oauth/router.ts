// The OAuth REST sub-router, registered under /oauth. Errors are RFC 6749 JSON, never HTML.
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import type { FastifyPluginAsync } from "fastify";
import type { Services } from "../services.ts";
import { sendMessage } from "./browser.ts";
import { describeSafely, OAuthError } from "./errors.ts";
import { accountRoutes } from "./account.ts";
import { deviceAuthorizationRoute } from "./device/authorization-endpoint.ts";
import { deviceVerificationRoutes } from "./device/verification.ts";
import { forgotPasswordRoutes } from "./forgot-password.ts";
import { ssoRoutes } from "./sso.ts";
import { securityRoutes } from "./security.ts";
import { signInStepRoutes } from "./sign-in-steps.ts";
import { authorizeRoutes } from "./authorize.ts";
import { introspectRoute } from "./introspect.ts";
import { loginRoutes } from "./login.ts";
import { logoutRoutes } from "./logout.ts";
import { rejectMalformedInput } from "./params.ts";
import { parRoute } from "./par.ts";
import { registerRoutes } from "./register.ts";
import { revokeRoute } from "./revoke.ts";
import { tokenRoute } from "./token.ts";
import { userinfoRoute } from "./userinfo.ts";

/** Endpoints whose body must be a form (RFC 6749 §4.1.3, RFC 7009 §2.1, RFC 7662 §2.1). */
const FORM_PATHS = /^\/oauth\/(token|revoke|introspect|device_authorization|par)(\?|$)/;
const BROWSER_PATHS = /^\/oauth\/(authorize|login|login\/switch|logout|invitation|reset|forgot|sso\/start|sso\/callback|device|device\/confirm|login\/second-factor|account|account\/[a-z/-]+)(\?|$)/;

export const oauthRouter: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  // Its limit is each route's bodyLimit (OAUTH_BODY_LIMIT, set in src/http/hardening.ts).
  await app.register(formbody);
  await app.register(cookie);

  app.setErrorHandler((error, request, reply) => {
    // People reach the browser endpoints: any failure there is a page, not JSON.
    if (BROWSER_PATHS.test(request.url)) {
      const err = error as { statusCode?: number };
      const given = error instanceof OAuthError ? error.status : err.statusCode;
      const status = given && given >= 400 && given < 500 ? given : 500;
      if (status === 500) app.log.error(error);
      return sendMessage(reply, status, "Something went wrong", status === 500 ? "The server could not finish this request. Please try again." : "This request could not be understood.");
    }
    if (error instanceof OAuthError) {
      if (!error.expose) app.log.error(error);
      return reply.status(error.status).headers({ "cache-control": "no-store", ...error.headers }).send(error.toJSON());
    }
    const err = error as { statusCode?: number; validation?: unknown; message?: string; code?: string };
    // A body of a type no parser reads is a malformed request (RFC 6749 §5.2), like a JSON
    // body at the token endpoint: 400 invalid_request for both, not 415 for one of them.
    if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      const description = FORM_PATHS.test(request.url) ? "the request body must be application/x-www-form-urlencoded" : "this content type is not accepted here";
      return reply.status(400).header("cache-control", "no-store").send({ error: "invalid_request", error_description: description });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) app.log.error(error);
    // Malformed bodies and wrong content types are the client's error, in RFC 6749's words.
    const code = status === 500 ? "server_error" : "invalid_request";
    const description =
      status === 500 ? "the server failed to handle this request" : describeSafely(err.message ?? "malformed request");
    return reply.status(status).header("cache-control", "no-store").send({ error: code, error_description: description });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: "not_found", error_description: `no OAuth endpoint at ${request.method} ${request.url}` }),
  );

  await app.register(tokenRoute, { services });
  await app.register(revokeRoute, { services });
  await app.register(introspectRoute, { services });
  await app.register(registerRoutes, { services });
  await app.register(deviceAuthorizationRoute, { services });
  await app.register(parRoute, { services });
  // These read query strings and forms by hand; the token, revocation and introspection
  // endpoints check their form themselves (params.ts: formParams, the token steps).
  await app.register(async (handRead) => {
    handRead.addHook("preValidation", rejectMalformedInput);
    await handRead.register(userinfoRoute, { services });
    await handRead.register(authorizeRoutes, { services });
    await handRead.register(loginRoutes, { services });
    await handRead.register(logoutRoutes, { services });
    await handRead.register(accountRoutes, { services });
    await handRead.register(deviceVerificationRoutes, { services });
    await handRead.register(forgotPasswordRoutes, { services });
    await handRead.register(ssoRoutes, { services });
    await handRead.register(signInStepRoutes, { services });
    await handRead.register(securityRoutes, { services });
  });
};
