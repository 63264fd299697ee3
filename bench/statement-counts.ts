// Exact counts that guard performance, moved here from the test suite (which asserts upper
// bounds a user could notice instead): SQL statements per write, the list of applications in
// the same number of statements for 10 and 100, a repeated SQLite query compiled once, and one
// argon2 run for 200 concurrent first uses of a secret. A harmless change may move a number:
// then read why, and update the expectation here with the reason.
//   npx tsx bench/statement-counts.ts                       # SQLite
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npx tsx bench/statement-counts.ts
// Exit code 1 when a count differs from its expectation.
import Database from "better-sqlite3";
import { bootstrapAdmin } from "../test/helpers/admin.ts";
import { startTestServer } from "../test/helpers/server.ts";

const compiled: string[] = [];
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (this: Database.Database, sql: string) {
  compiled.push(sql);
  return prepare.call(this, sql);
} as typeof prepare;

let statements = 0;
const server = await startTestServer({ env: { GRAPHQL_RESPONSE_CACHE_TTL_MS: "0" }, onQuery: () => void statements++ });
const postgres = server.database.provider === "postgresql";
const rows: { what: string; expected: number; got: number }[] = [];
const check = (what: string, expected: number, got: number) => rows.push({ what, expected, got });

try {
  const admin = await bootstrapAdmin(server, "Counts");
  const gql = async (query: string, variables: object = {}) => {
    const res = await server.app.inject({ method: "POST", url: "/graphql", headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" }, payload: JSON.stringify({ query, variables }) });
    const json = JSON.parse(res.body) as { data: Record<string, any>; errors?: unknown };
    if (json.errors) throw new Error(res.body);
    return json.data;
  };
  // The fewest over three tries: a timer elsewhere (a cache refresh, the batched lastUsedAt) may
  // read the database during one of them.
  const fewest = async (work: () => Promise<void>) => {
    let least = Infinity;
    for (let i = 0; i < 3; i++) {
      statements = 0;
      await work();
      least = Math.min(least, statements);
    }
    return least;
  };
  let n = 0;
  let appId = "";
  const create = async (extra: object = {}) => {
    const d = await gql(`mutation ($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) { ... on CreateConnectApplicationSuccess { application { id } } ... on Error { message } } }`, {
      input: { name: `Counted ${n++}`, applicationType: "M2M", organizationId: admin.organizationId, ...extra },
    });
    appId = d.createConnectApplication.application.id;
  };
  const addSecret = async () => {
    const d = await gql(`mutation ($input: AddClientSecretInput!) { addClientSecret(input: $input) { ... on AddClientSecretSuccess { plaintext } ... on Error { message } } }`, { input: { applicationId: appId } });
    if (!d.addClientSecret.plaintext) throw new Error(JSON.stringify(d));
  };
  // create: the organization, the name's uniqueness, INSERT ... RETURNING, the audit event, COMMIT;
  // on PostgreSQL the change feed's NOTIFY after the commit (src/changes/feed.ts).
  check("createConnectApplication (M2M)", postgres ? 6 : 5, await fewest(create));
  // addClientSecret: the application, the active-secret count, INSERT, audit, COMMIT, and on
  // PostgreSQL the application's row lock and the change feed's NOTIFY.
  check("addClientSecret", postgres ? 7 : 5, await fewest(addSecret));

  const list = () => gql(`{ applications(first: 100) { edges { node { id redirectUris { uri } clientSecrets { id } scopeGrants { kind } } } } }`).then(() => undefined);
  while (n < 10) await create();
  const ten = await fewest(list);
  while (n < 100) await create();
  check("applications(first: 100) with 100 apps, minus with 10", 0, (await fewest(list)) - ten);

  if (!postgres) {
    // A query of a shape never run before, 30 times with different parameters.
    const before = compiled.length;
    for (let i = 0; i < 30; i++) await server.services.db.organization.findFirst({ where: { name: `Org ${i % 3}`, id: { not: "none" } } });
    check("SQLite compilations of a new query run 30 times", 1, compiled.length - before);
  }

  await create();
  const secret = await gql(`mutation ($input: AddClientSecretInput!) { addClientSecret(input: $input) { ... on AddClientSecretSuccess { plaintext } } }`, { input: { applicationId: appId } });
  await gql(`mutation ($input: GrantScopesInput!) { grantScopes(input: $input) { __typename } }`, { input: { applicationId: appId, scopes: ["connect.applications.read"] } });
  const clientId = (await gql(`query ($id: ID!) { application(id: $id) { clientId } }`, { id: appId })).application.clientId as string;
  const runs = server.services.secretVerifier.argonRuns;
  const auth = `Basic ${Buffer.from(`${clientId}:${secret.addClientSecret.plaintext}`).toString("base64")}`;
  const answers = await Promise.all(
    Array.from({ length: 200 }, () =>
      fetch(`${server.url}/oauth/token`, { method: "POST", headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials&scope=connect.applications.read" }),
    ),
  );
  if (answers.some((a) => a.status !== 200)) throw new Error("a token request failed");
  check("argon2 runs for 200 concurrent first uses of one secret", 1, server.services.secretVerifier.argonRuns - runs);
} finally {
  await server.close();
}

let failed = false;
console.log(`Exact counts (${server.database.provider}):`);
for (const r of rows) {
  const ok = r.expected === r.got;
  failed ||= !ok;
  console.log(`  ${ok ? "ok  " : "DIFF"}  ${r.what}: expected ${r.expected}, got ${r.got}`);
}
process.exit(failed ? 1 : 0);
