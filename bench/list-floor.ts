// What one answer of the 100-application list costs, part by part, in one process (no load
// generator, no HTTP): the whole request as the server runs it, then the pieces a different
// design could keep or drop. It answers "how fast could this list be on this stack?" for
// issue 11's >= 300 req/s: 1000 / (ms per answer) is what one core could serve.
//   npx tsx bench/list-floor.ts [--n 200]
// Rows measured (medians of 5 batches, CPU time of this process):
//   - the request through Fastify, the bearer check, Yoga, Pothos and Prisma (inject)
//   - Prisma's findMany for the page, with the relations as Pothos asks for them
//   - the same four reads as Prisma $queryRawUnsafe, and directly on better-sqlite3
//   - graphql-js executing the list over plain objects (the checked-in schema, no Pothos
//     plugins, default resolvers), and JSON.stringify of the answer
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { buildSchema, execute, parse } from "graphql";
import { createDb } from "../src/db/client.ts";
import { bootstrapAdmin } from "../test/helpers/admin.ts";
import { startTestServer } from "../test/helpers/server.ts";
import { reportRun } from "./lib/report.ts";
import { BENCH_SCOPE, LIST_QUERY } from "./lib/scopekeeper.ts";

const nAt = process.argv.indexOf("--n");
const N = nAt > 0 ? Number(process.argv[nAt + 1]) : 200;
const server = await startTestServer({ env: { NODE_ENV: "production", GRAPHQL_RESPONSE_CACHE_TTL_MS: "0" } });
try {
  const admin = await bootstrapAdmin(server, "Bench");
  const post = (query: string, variables: object) =>
    server.app.inject({ method: "POST", url: "/graphql", headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" }, payload: JSON.stringify({ query, variables }) });
  for (let i = 0; i < 100; i++) {
    const created = JSON.parse(
      (await post(`mutation ($input: CreateConnectApplicationInput!) { createConnectApplication(input: $input) { ... on CreateConnectApplicationSuccess { application { id } } } }`, {
        input: {
          name: `Listed app ${i}`, applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: admin.organizationId,
          redirectUris: [{ uri: `https://app-${i}.example.com/callback`, default: true }, { uri: `https://app-${i}.example.com/oauth/alt` }],
          postLogoutRedirectUris: [`https://app-${i}.example.com/`], scopes: [BENCH_SCOPE, "knowledge.articles.read"],
        },
      })).body,
    );
    await post(`mutation ($id: ID!) { addClientSecret(input: { applicationId: $id }) { __typename } }`, { id: created.data.createConnectApplication.application.id });
  }
  const first = JSON.parse((await post(LIST_QUERY, {})).body);
  if (first.data.applications.edges.length !== 100) throw new Error("the list did not return 100 applications");

  const file = new URL(server.database.url).pathname;
  const { db } = await createDb(server.database.url);
  const org = admin.organizationDbId;
  const where = { AND: [{ OR: [{ organizationId: { in: [org] } }, { isFirstParty: true }] }, { applicationType: "OAUTH" }] };
  const prismaFindMany = () =>
    db.connectApplication.findMany({
      where, orderBy: { id: "asc" }, take: 101,
      include: { redirectUris: { orderBy: { position: "asc" } }, clientSecrets: { orderBy: { createdAt: "asc" } }, scopeGrants: { orderBy: [{ scope: "asc" }, { kind: "asc" }] } },
    });
  const APPS = "SELECT id, clientId, name, applicationType, platform FROM ConnectApplication WHERE (organizationId IN (?) OR isFirstParty = 1) AND applicationType = 'OAUTH' ORDER BY id LIMIT 101";
  const rel = (n: number) => {
    const inList = Array.from({ length: n }, () => "?").join(",");
    return [
      `SELECT applicationId, uri, isDefault, kind FROM RedirectUri WHERE applicationId IN (${inList}) ORDER BY position`,
      `SELECT applicationId, id, hint, createdAt, expiresAt, lastUsedAt, revokedAt FROM ClientSecret WHERE applicationId IN (${inList}) ORDER BY createdAt`,
      `SELECT applicationId, scope, kind, grantedAt FROM ScopeGrant WHERE applicationId IN (${inList}) ORDER BY scope, kind`,
    ];
  };
  const prismaRaw = async () => {
    const apps = await db.$queryRawUnsafe<{ id: string }[]>(APPS, org);
    const ids = apps.map((a) => a.id);
    for (const sql of rel(ids.length)) await db.$queryRawUnsafe(sql, ...ids);
  };
  const sqlite = new Database(file, { readonly: true });
  const appsStmt = sqlite.prepare(APPS);
  type Row = Record<string, unknown>;
  const direct = () => {
    const apps = appsStmt.all(org) as Row[];
    const ids = apps.map((a) => a.id as string);
    const [uris, secrets, grants] = rel(ids.length).map((sql) => sqlite.prepare(sql).all(...ids) as Row[]);
    return { apps, uris: uris!, secrets: secrets!, grants: grants! };
  };
  const group = (rows: Row[]) => {
    const by = new Map<string, Row[]>();
    for (const r of rows) by.set(r.applicationId as string, [...(by.get(r.applicationId as string) ?? []), r]);
    return by;
  };
  // SQLite keeps DateTime as ISO text with an offset (Prisma 7); the answer carries UTC ISO.
  const iso = (v: unknown) => (v == null ? null : new Date(typeof v === "string" ? v : Number(v)).toISOString());
  const assemble = () => {
    const { apps, uris, secrets, grants } = direct();
    const [u, s, g] = [group(uris), group(secrets), group(grants)];
    const now = Date.now();
    return {
      applications: {
        edges: apps.map((a) => ({
          node: {
            id: `app_${a.id as string}`, clientId: a.clientId, name: a.name, applicationType: a.applicationType, platform: a.platform,
            redirectUris: (u.get(a.id as string) ?? []).filter((r) => r.kind === "REDIRECT").map((r) => ({ uri: r.uri, default: r.isDefault === 1 })),
            postLogoutRedirectUris: (u.get(a.id as string) ?? []).filter((r) => r.kind === "POST_LOGOUT").map((r) => r.uri),
            clientSecrets: (s.get(a.id as string) ?? []).map((x) => ({ id: `sec_${x.id as string}`, hint: x.hint, active: x.revokedAt == null && (x.expiresAt == null || Date.parse(String(x.expiresAt)) > now), createdAt: iso(x.createdAt), lastUsedAt: iso(x.lastUsedAt) })),
            scopeGrants: (g.get(a.id as string) ?? []).map((x) => ({ kind: x.kind, grantedAt: iso(x.grantedAt), scope: { name: x.scope } })),
          },
        })),
      },
    };
  };
  const schema = buildSchema(readFileSync("schema.graphql", "utf8"));
  const document = parse(LIST_QUERY);
  const plainExecute = (root: object) => execute({ schema, document, rootValue: root });
  const root = assemble();
  if (process.env.LIST_FLOOR_DUMP) (await import("node:fs")).writeFileSync(process.env.LIST_FLOOR_DUMP, JSON.stringify({ root, query: LIST_QUERY }));
  const plainResult = plainExecute(root);

  const measure = async (f: () => unknown) => {
    for (let i = 0; i < 20; i++) await f();
    const batches: number[] = [];
    for (let b = 0; b < 5; b++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < N / 5; i++) await f();
      const c = process.cpuUsage(c0);
      batches.push((c.user + c.system) / 1000 / (N / 5));
    }
    return batches.sort((a, b) => a - b)[2]!;
  };
  let bust = 0;
  const rows: [string, number][] = [
    ["the whole request: Fastify, bearer check, Yoga, Pothos, Prisma (in process, no HTTP socket)", await measure(() => post(LIST_QUERY, { uncached: bust++ }))],
    ["Prisma findMany of the page with URIs, secrets and grants (as Pothos asks)", await measure(prismaFindMany)],
    ["the same four reads as Prisma $queryRawUnsafe", await measure(prismaRaw)],
    ["the same four reads directly on better-sqlite3 (statements prepared)", await measure(direct)],
    ["those reads assembled into the answer's objects", await measure(assemble)],
    ["graphql-js executing the list over those plain objects (no Pothos)", await measure(() => plainExecute(root))],
    ["JSON.stringify of the answer", await measure(() => JSON.stringify(plainResult))],
  ];
  const lines = [
    `# The 100-application list, part by part (${new Date().toISOString()})`,
    "",
    `One process, SQLite, NODE_ENV=production, ${N} answers per row in 5 batches (median), CPU time of the process. 1000 / ms is what one core could serve.`,
    "",
    "| part | ms per answer | one core could serve (per s) |",
    "| --- | ---: | ---: |",
    ...rows.map(([label, ms]) => `| ${label} | ${ms.toFixed(2)} | ${Math.round(1000 / ms)} |`),
  ];
  await reportRun("list-floor", lines, { quick: false });
  sqlite.close();
  await db.$disconnect();
} finally {
  await server.close();
}
