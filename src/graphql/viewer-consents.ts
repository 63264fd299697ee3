// A person's connected apps: what they consented to, and revoking it. Every signed-in person
// may use these, whatever their role; an application's own token has no connected apps.
import { NotFoundError } from "../errors.ts";
import { builder } from "./builder.ts";
import { MUTATION_ERRORS } from "./errors.ts";
import { encodeNodeId, idOf } from "./ids.ts";
import { ViewerRef as Viewer } from "./viewer.ts";

interface AuthorizedApp {
  id: string;
  clientId: string;
  name: string;
  logoUri: string | null;
}

/** Only what a person needs to recognise an app: not the registry's ConnectApplication, which is for its admins. */
const AuthorizedApplication = builder.objectRef<AuthorizedApp>("AuthorizedApplication").implement({
  description: "An application as the people who use it see it.",
  fields: (t) => ({
    id: t.id({ resolve: (a) => encodeNodeId("ConnectApplication", a.id) }),
    clientId: t.exposeString("clientId"),
    name: t.exposeString("name"),
    logoUri: t.exposeString("logoUri", { nullable: true }),
  }),
});

const ConnectedApplication = builder
  .objectRef<{ application: AuthorizedApp; scopes: string; updatedAt: Date }>("ConnectedApplication")
  .implement({
    description: "An application the signed-in person allowed to act for them.",
    fields: (t) => ({
      application: t.field({ type: AuthorizedApplication, resolve: (c) => c.application }),
      scopes: t.stringList({ resolve: (c) => c.scopes.split(" ").filter(Boolean) }),
      consents: t.stringList({
        description:
          "What the person agreed to, in the consent screen's words: each scope's consent sentence, in the order of `scopes` (the scope's name when the catalog no longer has it).",
        resolve: (c, _args, ctx) =>
          c.scopes
            .split(" ")
            .filter(Boolean)
            .map((name) => ctx.catalog.scope(name)?.consent ?? name),
      }),
      grantedAt: t.field({ type: "DateTime", resolve: (c) => c.updatedAt }),
    }),
  });

builder.objectField(Viewer, "connectedApplications", (t) =>
  t.field({
    type: [ConnectedApplication],
    resolve: (_viewer, _args, ctx) => ctx.services.members.connectedApplications(ctx.principal),
  }),
);

const RevokeConsentInput = builder.inputType("RevokeConsentInput", {
  fields: (t) => ({ applicationId: t.id({ required: true }) }),
});

const RevokeConsentSuccess = builder.objectRef<{ applicationId: string }>("RevokeConsentSuccess").implement({
  fields: (t) => ({ applicationId: t.id({ resolve: (r) => r.applicationId }) }),
});

builder.mutationFields((t) => ({
  revokeConsent: t.field({
    // Every signed-in person may revoke their own consents, whatever the token's registry scopes.
    skipTypeScopes: true,
    type: RevokeConsentSuccess,
    description: "Forgets the signed-in person's consent to an app and ends its refresh tokens for them; the next authorization asks again.",
    errors: { types: MUTATION_ERRORS, directResult: true as const, union: { name: "RevokeConsentResult" } },
    args: { input: t.arg({ type: RevokeConsentInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const id = idOf(String(input.applicationId), "ConnectApplication");
      if (!id) throw new NotFoundError("connected application");
      await ctx.services.members.revokeConsent(ctx.principal, id);
      return { applicationId: String(input.applicationId) };
    },
  }),
}));
