// What one createConnectApplication + addClientSecret pair costs the event loop, in one process
// (no load generator): the CPU a pair takes from the loop the token endpoint also runs on, and
// the SQL statements it issues. Issue 11's p99 target has 20 pairs a second land on a loop that
// a token load already saturates; ms per pair x 20 is the share of a core they take. argon2id
// runs at the tests' cost here (1 MiB, t=1): the hash is on libuv's pool either way, and the
// control hasher of `npm run bench` pays it too.
//   npx tsx bench/write-pair.ts [--n 300]
import { bootstrapAdmin } from "../test/helpers/admin.ts";
import { startTestServer } from "../test/helpers/server.ts";
import { reportRun } from "./lib/report.ts";

const nAt = process.argv.indexOf("--n");
const N = nAt > 0 ? Number(process.argv[nAt + 1]) : 300;
let statements = 0;
const server = await startTestServer({ env: { NODE_ENV: "production", GRAPHQL_RESPONSE_CACHE_TTL_MS: "0" }, onQuery: () => void statements++ });
try {
  const admin = await bootstrapAdmin(server, "Bench");
  const gql = async (query: string, variables: object) => {
    const res = await server.app.inject({ method: "POST", url: "/graphql", headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" }, payload: JSON.stringify({ query, variables }) });
    const json = JSON.parse(res.body);
    if (json.errors) throw new Error(res.body);
    return json.data;
  };
  let n = 0;
  // As bench/run.ts creates them: an M2M app in the admin's organization, then a secret.
  const pair = async () => {
    const created = await gql(`mutation ($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) { __typename ... on CreateConnectApplicationSuccess { application { id clientId } } ... on Error { message } } }`,
      { input: { name: `Created ${n++}`, applicationType: "M2M", organizationId: admin.organizationId } });
    const app = created.createConnectApplication.application;
    if (!app) throw new Error(JSON.stringify(created));
    const secret = await gql(`mutation ($input: AddClientSecretInput!) { addClientSecret(input: $input) { __typename ... on AddClientSecretSuccess { plaintext clientSecret { id } } ... on Error { message } } }`, { input: { applicationId: app.id } });
    if (!secret.addClientSecret.plaintext) throw new Error(JSON.stringify(secret));
  };
  for (let i = 0; i < 50; i++) await pair();
  const batches: { ms: number; statements: number }[] = [];
  for (let b = 0; b < 5; b++) {
    statements = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < N / 5; i++) await pair();
    const c = process.cpuUsage(c0);
    batches.push({ ms: (c.user + c.system) / 1000 / (N / 5), statements: statements / (N / 5) });
  }
  const median = batches.map((b) => b.ms).sort((a, b) => a - b)[2]!;
  const lines = [
    `# createConnectApplication + addClientSecret, one pair at a time (${new Date().toISOString()})`,
    "",
    `One process, SQLite, NODE_ENV=production, ${N} pairs in 5 batches after 50 to warm up; CPU time of the process (median batch).`,
    "",
    "| ms CPU per pair | SQL statements per pair | share of one core at 20 pairs/s |",
    "| ---: | ---: | ---: |",
    `| ${median.toFixed(2)} | ${batches[0]!.statements.toFixed(1)} | ${((median * 20) / 10).toFixed(0)}% |`,
  ];
  await reportRun("write-pair", lines, { quick: false });
} finally {
  await server.close();
}
