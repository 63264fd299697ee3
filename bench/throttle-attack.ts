// The parallel attacks of issue 16, against a server with the default throttles and the
// production argon2 cost: N different wrong client secrets (carrying a real secret's id, so
// each would need argon2) sent at once from one address, and 20 wrong passwords at once.
//
//   npx tsx bench/throttle-attack.ts [N]      # N defaults to 1000; SQLite unless DATABASE_URL
//
// Prints what the attacker got (answers by status), the argon2 runs it cost, the audit
// events it left, and that the valid client from another address was unaffected.
import { randomBytes } from "node:crypto";
import { parseSecretId } from "../src/crypto/secrets.ts";
import { bootstrapAdmin } from "../test/helpers/admin.ts";
import { basic, postForm } from "../test/helpers/http.ts";
import { startTestServer } from "../test/helpers/server.ts";
import { createUser } from "../test/helpers/users.ts";

const n = Number(process.argv[2] ?? 1000);
const server = await startTestServer({
  env: { TRUST_PROXY: "127.0.0.1", ARGON2_MEMORY_KIB: "19456", ARGON2_TIME_COST: "2", ARGON2_PARALLELISM: "1" },
});
try {
  const admin = await bootstrapAdmin(server, "Bench");
  const wrong = () => `sk_${parseSecretId(admin.clientSecret)}_${randomBytes(32).toString("base64url")}`;
  const token = (secret: string, address: string) =>
    postForm(`${server.url}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read" }, { ...basic(admin.clientId, secret), "x-forwarded-for": address });
  const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

  const runs = server.services.secretVerifier.argonRuns;
  let started = Date.now();
  const answers = await Promise.all(Array.from({ length: n }, () => token(wrong(), "198.51.100.66")));
  const elapsed = Date.now() - started;
  const trips = await server.services.db.auditEvent.count({ where: { action: "client_authentication.throttled" } });
  console.log(`${n} wrong client secrets at once from one address (${server.services.throttles.store} counters): ${JSON.stringify(tally(answers.map((a) => a.status)))} in ${elapsed} ms; ${server.services.secretVerifier.argonRuns - runs} argon2 runs; ${trips} audit event(s); Retry-After ${answers.find((a) => a.status === 429)?.headers.get("retry-after")} s`);
  console.log(`the valid client from another address meanwhile: ${(await token(admin.clientSecret, "192.0.2.10")).status}`);

  const person = await createUser(server, admin.organizationDbId, "bench@example.test");
  const page = await fetch(`${server.url}/oauth/login`, { headers: { "x-forwarded-for": "198.51.100.77" } });
  const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const signIn = (password: string) =>
    fetch(`${server.url}/oauth/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie, "x-forwarded-for": "198.51.100.77" },
      body: new URLSearchParams({ csrf, return_to: "/oauth/authorize", email: person.email, password }).toString(),
    }).then((r) => r.status);
  started = Date.now();
  const signIns = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn(`wrong ${i}`)));
  console.log(`20 wrong passwords at once from one address: ${JSON.stringify(tally(signIns))} in ${Date.now() - started} ms`);
  const more = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn(`wrong again ${i}`)));
  console.log(`30 more at once from the same address: ${JSON.stringify(tally(more))}`);
} finally {
  await server.close();
}
