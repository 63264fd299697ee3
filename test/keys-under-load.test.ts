// Issue 16 item 7: signing-key rotation under load loses no request, even across processes
// that pick the new key up at different times; and a token whose key is past its publication
// window is refused everywhere a token is accepted.
import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { basic, postForm } from "./helpers/http.ts";
import { startTestServer, TEST_ARGON2_ENV, type TestServer } from "./helpers/server.ts";
import { ACCESS_TOKEN_TYPE, startFuzzWorld, TOKEN_EXCHANGE, type FuzzWorld } from "./fuzz/harness.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const CLI = path.join(ROOT, "bin/scopekeeper.js");

const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString("utf8")) as { kid: string }).kid;

/** `scopekeeper keys rotate` from the compiled CLI, as an operator runs it, without blocking the servers under test. */
function rotateWithCli(databaseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "keys", "rotate"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent", ...TEST_ARGON2_ENV },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`keys rotate exited ${code}: ${err}`))));
  });
}

describe("rotation under load", () => {
  let database: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let admin: Admin;
  let urlA: string;
  let urlB: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Two processes on one database behind one public name, as behind a load balancer.
    const env = { ISSUER: "https://auth.rotation.test" };
    a = await startTestServer({ database, env });
    b = await startTestServer({ database, env });
    urlA = `http://127.0.0.1:${(a.app.server.address() as AddressInfo).port}`;
    urlB = `http://127.0.0.1:${(b.app.server.address() as AddressInfo).port}`;
    admin = await bootstrapAdmin({ ...a, url: urlA }, "Rotators");
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it("loses no request while `scopekeeper keys rotate` runs three times and the two servers pick the key up at different moments", async () => {
    const ROTATIONS = 3;
    const WORKERS = 6;
    const failures: string[] = [];
    const kidsVerifiedAcross = new Set<string>();
    let requests = 0;
    const stop = { now: false };

    /** Token from one server, checked at the other: introspection and the GraphQL API. */
    async function worker(n: number) {
      for (let i = 0; !stop.now; i++) {
        const [issuer, verifier] = (n + i) % 2 ? [urlA, urlB] : [urlB, urlA];
        requests += 1;
        const t = await postForm(`${issuer}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read" }, basic(admin.clientId, admin.clientSecret));
        if (t.status !== 200) {
          failures.push(`token: ${t.status} ${JSON.stringify(t.body)}`);
          continue;
        }
        const token = t.body.access_token as string;
        requests += 1;
        const intro = await postForm(`${verifier}/oauth/introspect`, { token }, basic(admin.clientId, admin.clientSecret));
        if (intro.status !== 200 || intro.body.active !== true) failures.push(`introspect (kid ${kidOf(token)}): ${intro.status} ${JSON.stringify(intro.body)}`);
        requests += 1;
        const gql = await fetch(`${verifier}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: "{ viewer { kind } }" }),
        });
        const body = (await gql.json()) as { data?: { viewer?: { kind?: string } }; errors?: unknown };
        if (gql.status !== 200 || !body.data?.viewer?.kind) failures.push(`graphql (kid ${kidOf(token)}): ${gql.status} ${JSON.stringify(body)}`);
        else kidsVerifiedAcross.add(kidOf(token));
      }
    }

    const firstKid = a.services.keys.activeKid;
    const load = Array.from({ length: WORKERS }, (_, n) => worker(n));
    const rotatedTo: string[] = [];
    for (let r = 0; r < ROTATIONS; r++) {
      await new Promise((resolve) => setTimeout(resolve, 600));
      await rotateWithCli(database.url);
      // One server's periodic reload fires first; the other still signs and verifies with what
      // it loaded before, until a token with the new kid reaches it.
      const first = r % 2 ? b : a;
      await first.services.keys.reload();
      rotatedTo.push(first.services.keys.activeKid);
      await new Promise((resolve) => setTimeout(resolve, 900));
    }
    stop.now = true;
    await Promise.all(load);

    console.info(`[keys-under-load] ${database.provider}: ${requests} requests, ${ROTATIONS} rotations, ${kidsVerifiedAcross.size} signing keys verified across servers, ${failures.length} failures`);
    expect(failures).toEqual([]);
    expect(new Set([firstKid, ...rotatedTo]).size).toBe(ROTATIONS + 1);
    // Tokens signed with every rotated key were verified by the other server too.
    for (const kid of rotatedTo) expect(kidsVerifiedAcross.has(kid), kid).toBe(true);
    expect(requests).toBeGreaterThan(100);
  }, 120_000);
});

describe("a key past its publication window", () => {
  let w: FuzzWorld;

  beforeAll(async () => {
    w = await startFuzzWorld();
  }, 120_000);
  afterAll(async () => w?.server.close());

  /** Every door that accepts one of this server's access tokens, with what each answers. */
  async function everyDoor(token: string) {
    const { server, app } = w;
    const graphql = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ viewer { kind } }" }),
    });
    const introspect = await postForm(`${server.url}/oauth/introspect`, { token }, basic(app.clientId, app.secret));
    const userinfo = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    const exchange = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: TOKEN_EXCHANGE, subject_token: token, subject_token_type: ACCESS_TOKEN_TYPE, scope: "knowledge.portalmgr.onbehalfof.read" },
      basic(app.clientId, app.secret),
    );
    return { graphql: graphql.status, introspect: introspect.body.active, userinfo: userinfo.status, exchange: exchange.status, exchangeBody: exchange.body };
  }

  it("is refused at /graphql, /oauth/introspect, /oauth/userinfo and as a token exchange subject_token", async () => {
    const keys = w.server.services.keys;
    const token = w.accessToken;
    const oldKid = kidOf(token);
    expect(oldKid).toBe(keys.activeKid);
    const accepted = await everyDoor(token);
    expect(accepted, JSON.stringify(accepted.exchangeBody)).toMatchObject({ graphql: 200, introspect: true, userinfo: 200, exchange: 200 });

    // Rotated: the old key still verifies what it signed while it is published.
    await keys.rotate();
    expect(keys.activeKid).not.toBe(oldKid);
    expect(await everyDoor(token)).toMatchObject({ graphql: 200, introspect: true, userinfo: 200, exchange: 200 });

    // Its window ends (time passes: the row says so) and the server reloads, as it does every 30 s.
    await w.server.services.db.signingKey.update({ where: { kid: oldKid }, data: { publishUntil: new Date(Date.now() - 1000) } });
    await keys.reload();
    const jwks = (await (await fetch(`${w.server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(oldKid);
    const refused = await everyDoor(token);
    expect(refused).toMatchObject({ graphql: 401, introspect: false, userinfo: 401, exchange: 400 });
    expect(refused.exchangeBody.error).toBe("invalid_grant");
  }, 60_000);

  it("stops verifying the moment the window ends, before the next periodic reload", async () => {
    const keys = w.server.services.keys;
    const { access_token: token } = (
      await postForm(`${w.server.url}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read" }, basic(w.admin.clientId, w.admin.clientSecret))
    ).body as { access_token: string };
    await keys.rotate();
    const row = await w.server.services.db.signingKey.findUniqueOrThrow({ where: { kid: kidOf(token) } });
    expect(row.publishUntil).toBeTruthy();
    // The signature alone (as for an id_token_hint): good while published...
    expect((await keys.verifySignature(token)).jti).toBeTruthy();
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      // ...and refused one second past the window, with the keys still as last loaded.
      vi.setSystemTime(row.publishUntil!.getTime() + 1000);
      await expect(keys.verifySignature(token)).rejects.toThrow();
    } finally {
      vi.useRealTimers();
    }
  });
});
