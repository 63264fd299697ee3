// Issue 10 item 4: a code redeemed by concurrent requests. Exactly one redemption gets tokens;
// every other one is told the tokens issued from the code are revoked, and that is true
// whatever the order the database serialized them in. On both databases.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { CALLBACK, codeFor, registerWebApp, type WebApp } from "./helpers/user-apps.ts";
import { createUser } from "./helpers/users.ts";

describe.each(["sqlite", "postgresql"] as const)("concurrent redemptions of one code on %s", (provider) => {
  let server: TestServer;
  let admin: Admin;
  let app: WebApp;
  let alice: { email: string; password: string };

  beforeAll(async () => {
    server = await startTestServer({ database: await createTestDatabase({ provider }) });
    admin = await bootstrapAdmin(server, "Acme");
    alice = await createUser(server, admin.organizationDbId, "alice@acme.test", "alice password 1");
    app = await registerWebApp(server, admin, "Acme Reports", ["openid", "offline_access", "knowledge.portalmgr.read"]);
  });
  afterAll(async () => {
    await server?.close();
    await server?.database.drop();
  });

  const auth = () => basic(app.clientId, app.secret);

  for (let round = 1; round <= 3; round++) {
    it(`round ${round}: one of 10 wins, and its tokens end up revoked`, async () => {
      const { code, verifier } = await codeFor(server, app, alice, "openid offline_access knowledge.portalmgr.read");
      const form = { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier };
      const results = await Promise.all(Array.from({ length: 10 }, () => postForm(`${server.url}/oauth/token`, form, auth())));

      const winners = results.filter((r) => r.status === 200);
      const losers = results.filter((r) => r.status !== 200);
      expect(winners).toHaveLength(1);
      for (const l of losers) {
        expect(l).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: expect.stringContaining("revoked") } });
      }
      const tokens = winners[0]!.body as { access_token: string; refresh_token: string };
      expect(tokens.refresh_token).toEqual(expect.any(String));

      const introspect = (token: string) => postForm(`${server.url}/oauth/introspect`, { token }, auth());
      expect(await introspect(tokens.access_token)).toMatchObject({ status: 200, body: { active: false } });
      expect(await introspect(tokens.refresh_token)).toMatchObject({ status: 200, body: { active: false } });
      const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: tokens.refresh_token }, auth());
      expect(refreshed).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    });
  }
});
