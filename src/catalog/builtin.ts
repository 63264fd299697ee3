// The scopes the server itself owns, under the built-in hub "connect" (no plugin can use the
// id or these names). The four OpenID Connect names are the only scope names in the catalog
// without their hub's prefix.
import { brandHub } from "./brand.ts";
import type { HubDefinition } from "./public.ts";

export const BUILT_IN_HUB_ID = "connect";

/** Where built-in names come from in messages and in `CatalogHub.source`. */
export const BUILT_IN_SOURCE = "built-in";

/** OpenID Connect scopes: standard names, delegated only (they describe a signed-in user). */
export const OPENID_SCOPES: readonly string[] = Object.freeze(["openid", "profile", "email", "offline_access"]);

/** The connect hub; its audience is the issuer, because the admin API is served by this server. */
export function builtInHub(issuer: string): HubDefinition<typeof BUILT_IN_HUB_ID> {
  return brandHub({
    id: BUILT_IN_HUB_ID,
    name: "Connect",
    description:
      "Scopes owned by the authorization server itself: OpenID Connect sign-in, and its admin API for registering client applications.",
    audience: issuer,
    scopes: [
      {
        name: "openid",
        kinds: ["DELEGATED"],
        description:
          "Sign the user in with OpenID Connect: the application receives an ID token identifying the user (the sub claim).",
        consent: "Sign you in with your account",
      },
      {
        name: "profile",
        kinds: ["DELEGATED"],
        description: "Read the user's basic profile claims: name, preferred username, picture, locale and zone info.",
        consent: "See your name and basic profile",
      },
      {
        name: "email",
        kinds: ["DELEGATED"],
        description: "Read the user's email address and whether it has been verified (email, email_verified claims).",
        consent: "See your email address",
      },
      {
        name: "offline_access",
        kinds: ["DELEGATED"],
        description:
          "Obtain a refresh token, so the application keeps the access the user granted after the user has left; revoking the refresh token ends it.",
        consent: "Keep access to the data you gave it access to, even when you are not using the application",
      },
      {
        name: "connect.applications.read",
        kinds: ["DELEGATED", "APPLICATION"],
        description:
          "Read the client applications registered for the organization: their settings, redirect URIs, client secret metadata (never the secrets themselves) and scope grants, and the scope catalog.",
        consent: "See the applications registered for your organization",
      },
      {
        name: "connect.applications.manage",
        kinds: ["DELEGATED", "APPLICATION"],
        description:
          "Register, update and delete the organization's client applications, add and revoke their client secrets, and grant and revoke their scopes. Implies connect.applications.read.",
        consent: "Register and manage the applications of your organization, including their secrets and permissions",
        adminConsentRequired: true,
      },
    ],
  });
}
