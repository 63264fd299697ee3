// Issue 16 item 1: throttles that count, not sleep. Failed client authentications and failed
// sign-ins are counted per source address (IPv6 per /64) and per client or account, BEFORE
// argon2 runs, so a parallel batch is cut off; past a limit HTTP 429 with Retry-After and one
// audit event per trip; a valid client elsewhere is unaffected, and nobody is locked out past
// the window. Counters are shared by every process (PostgreSQL, Redis).
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../src/config/index.ts";
import { parseSecretId } from "../src/crypto/secrets.ts";
import { throttleAddress } from "../src/throttles/addresses.ts";
import { AddSecretDocument, CreateApplicationDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "./helpers/database.ts";
import { basic, graphql, postForm } from "./helpers/http.ts";
import { metric } from "./helpers/metrics.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

// Long enough that no batch, however slow the machine, straddles two windows: the tests never
// wait for one to end, they move the clock past it (passWindow).
const WINDOW_SECONDS = 60;
const PER_ADDRESS = 5;
const PER_SUBJECT = 12;
const METRICS_TOKEN = "throttle-test-metrics-token";

/** Small limits; loopback is the trusted proxy. */
const THROTTLE_ENV = {
  TRUST_PROXY: "127.0.0.1",
  METRICS_TOKEN,
  CLIENT_AUTH_THROTTLE_WINDOW_SECONDS: String(WINDOW_SECONDS),
  CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: String(PER_ADDRESS),
  CLIENT_AUTH_MAX_FAILURES_PER_CLIENT: String(PER_SUBJECT),
  SIGN_IN_THROTTLE_WINDOW_SECONDS: String(WINDOW_SECONDS),
  SIGN_IN_MAX_FAILURES_PER_ADDRESS: String(PER_ADDRESS),
  SIGN_IN_MAX_FAILURES_PER_ACCOUNT: String(PER_SUBJECT),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Ends every throttle window: moves the clock the counters read (Date, in this process, where
 * the servers under test run; PostgreSQL's counters store times from it too) past the window,
 * and lets it run on from there. afterEach puts the real clock back; each test counts under
 * its own addresses, clients and accounts, so none sees another's windows.
 */
const passWindow = () => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + WINDOW_SECONDS * 1000 + 1000, shouldAdvanceTime: true });
afterEach(() => {
  vi.useRealTimers();
});
let addressCounter = 0;
/** A fresh documentation address (RFC 5737) per test, so tests do not share an address's count. */
const nextAddress = () => `203.0.113.${++addressCounter}`;
const from = (address: string) => ({ "x-forwarded-for": address });

let server: TestServer;
let admin: Admin;

interface Client {
  id: string;
  clientId: string;
  secrets: string[];
}

async function newClient(target: TestServer, as: Admin, name: string, secretCount = 1): Promise<Client> {
  const created = (await graphql(target.url, as.token, CreateApplicationDocument, { input: { name, applicationType: "M2M", organizationId: as.organizationId, scopes: ["connect.applications.read"] } })).data.createConnectApplication;
  if (created.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(created));
  const secrets: string[] = [];
  for (let i = 0; i < secretCount; i++) {
    const s = (await graphql(target.url, as.token, AddSecretDocument, { input: { applicationId: created.application.id } })).data.addClientSecret;
    if (s.__typename !== "AddClientSecretSuccess") throw new Error(JSON.stringify(s));
    secrets.push(s.plaintext);
  }
  return { id: created.application.id, clientId: created.application.clientId, secrets };
}

/** A wrong secret carrying a real secret's id: the server must run argon2 to refuse it. */
const wrongSecretFor = (secret: string) => `sk_${parseSecretId(secret)}_${randomBytes(32).toString("base64url")}`;

const tokenRequest = (target: TestServer, clientId: string, secret: string, headers: Record<string, string> = {}) =>
  postForm(`${target.url}/oauth/token`, { grant_type: "client_credentials", scope: "connect.applications.read" }, { ...basic(clientId, secret), ...headers });

const auditEvents = (target: TestServer, action: string) => target.services.db.auditEvent.findMany({ where: { action }, orderBy: { createdAt: "asc" } });

async function throttledMetric(target: TestServer, route: string, reason: string): Promise<number> {
  await sleep(100); // the metrics hook runs once each response has been sent
  const text = await (await fetch(`${target.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = text.split("\n").find((l) => l.startsWith("scopekeeper_throttled_requests_total{") && l.includes(`route="${route}"`) && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(" ").pop()) : 0;
}

const countBy = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

beforeAll(async () => {
  server = await startTestServer({ env: THROTTLE_ENV });
  admin = await bootstrapAdmin(server, "Acme");
});
afterAll(async () => server?.close());

describe("client authentication at /oauth/token, /oauth/revoke and /oauth/introspect", () => {
  it("cuts a parallel batch of 50 wrong secrets off at the address's limit: 429 with Retry-After, one audit event, at most the limit's argon2 runs", async () => {
    const client = await newClient(server, admin, "Attacked");
    const attacker = nextAddress();
    const metricBefore = await throttledMetric(server, "/oauth/token", "client_authentication_address");
    const runsBefore = await metric(server, "scopekeeper_argon2_runs");
    const answers = await Promise.all(Array.from({ length: 50 }, () => tokenRequest(server, client.clientId, wrongSecretFor(client.secrets[0]!), from(attacker))));
    const argonRuns = (await metric(server, "scopekeeper_argon2_runs")) - runsBefore;

    expect(countBy(answers.map((a) => a.status))).toEqual({ 401: PER_ADDRESS, 429: 50 - PER_ADDRESS });
    expect(argonRuns).toBeLessThanOrEqual(PER_ADDRESS);
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.body).toMatchObject({ error: "temporarily_unavailable", error_description: expect.stringMatching(/retry after \d+ seconds/) });
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
      expect(refused.headers.get("cache-control")).toBe("no-store");
    }
    const trips = (await auditEvents(server, "client_authentication.throttled")).filter((e) => e.details.includes(attacker));
    expect(trips).toHaveLength(1);
    expect(JSON.parse(trips[0]!.details)).toMatchObject({ limit: "address", address: attacker, clientId: client.clientId, failures: PER_ADDRESS, windowSeconds: WINDOW_SECONDS });
    expect(trips[0]!.organizationId).toBe(admin.organizationDbId);
    expect(JSON.stringify(trips)).not.toContain(client.secrets[0]!.slice(-20));
    expect((await throttledMetric(server, "/oauth/token", "client_authentication_address")) - metricBefore).toBe(50 - PER_ADDRESS);
    console.log(`[throttle figures] 50 parallel wrong secrets from one address: ${JSON.stringify(countBy(answers.map((a) => a.status)))}, ${argonRuns} argon2 runs, ${trips.length} audit event`);

    // The admin API shows the trip in the organization's audit trail.
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ query: `{ auditEvents(filter: {action: "client_authentication.throttled"}) { edges { node { action targetId } } } }` }),
    });
    const listed = ((await res.json()) as { data: { auditEvents: { edges: { node: { targetId: string } }[] } } }).data.auditEvents.edges;
    expect(listed.map((e) => e.node.targetId)).toContain(attacker);
  });

  it("leaves the valid client alone: another address authenticates at once, and after the window the attacker's address does too", async () => {
    const client = await newClient(server, admin, "Valid under attack", 3);
    const attacker = nextAddress();
    const answers = await Promise.all(Array.from({ length: 20 }, () => tokenRequest(server, client.clientId, wrongSecretFor(client.secrets[0]!), from(attacker))));
    expect(answers.filter((a) => a.status === 429)).toHaveLength(20 - PER_ADDRESS);

    // Another address, a secret this process has never verified (argon2 must run): accepted.
    expect((await tokenRequest(server, client.clientId, client.secrets[0]!, from(nextAddress()))).status).toBe(200);
    // From the attacker's address, a secret already verified costs no argon2 and is accepted...
    expect((await tokenRequest(server, client.clientId, client.secrets[0]!, from(attacker))).status).toBe(200);
    // ...while one that would need an argon2 run waits for the window like any other guess.
    const refused = await tokenRequest(server, client.clientId, client.secrets[1]!, from(attacker));
    expect(refused.status).toBe(429);

    passWindow();
    expect((await tokenRequest(server, client.clientId, client.secrets[1]!, from(attacker))).status).toBe(200);
    expect((await tokenRequest(server, client.clientId, wrongSecretFor(client.secrets[2]!), from(attacker))).status).toBe(401);
  });

  it("trips the per-client limit under an attack from many addresses; the valid client keeps its verified secret and gets the rest back after the window", async () => {
    const client = await newClient(server, admin, "Distributed target", 2);
    expect((await tokenRequest(server, client.clientId, client.secrets[0]!, from(nextAddress()))).status).toBe(200);
    const attackers = Array.from({ length: PER_SUBJECT + 8 }, () => nextAddress());
    const answers = await Promise.all(attackers.map((a) => tokenRequest(server, client.clientId, wrongSecretFor(client.secrets[1]!), from(a))));
    expect(countBy(answers.map((a) => a.status))).toEqual({ 401: PER_SUBJECT, 429: 8 });

    const trips = (await auditEvents(server, "client_authentication.throttled")).filter((e) => e.targetId === client.clientId);
    expect(trips).toHaveLength(1);
    expect(JSON.parse(trips[0]!.details)).toMatchObject({ limit: "client", clientId: client.clientId, failures: PER_SUBJECT });
    expect(trips[0]!.applicationId).toBeTruthy();

    expect((await tokenRequest(server, client.clientId, client.secrets[0]!, from(nextAddress()))).status).toBe(200);
    expect((await tokenRequest(server, client.clientId, client.secrets[1]!, from(nextAddress()))).status).toBe(429);
    // Another client from the same addresses is not concerned.
    expect((await tokenRequest(server, admin.clientId, admin.clientSecret, from(attackers[0]!))).status).toBe(200);
    passWindow();
    expect((await tokenRequest(server, client.clientId, client.secrets[1]!, from(nextAddress()))).status).toBe(200);
  });

  it("takes a valid client's burst of identical first requests, past the address's limit, as one attempt: one argon2 run, all accepted", async () => {
    const client = await newClient(server, admin, "Bursty");
    const address = nextAddress();
    const runsBefore = await metric(server, "scopekeeper_argon2_runs");
    const answers = await Promise.all(Array.from({ length: PER_ADDRESS * 6 }, () => tokenRequest(server, client.clientId, client.secrets[0]!, from(address))));
    expect(answers.map((a) => a.status)).toEqual(Array(PER_ADDRESS * 6).fill(200));
    expect((await metric(server, "scopekeeper_argon2_runs")) - runsBefore).toBe(1);
  });

  it("counts unknown clients and replayed wrong secrets (no argon2 needed) against the address too", async () => {
    const attacker = nextAddress();
    const client = await newClient(server, admin, "Replayed");
    const wrong = wrongSecretFor(client.secrets[0]!);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await tokenRequest(server, client.clientId, wrong, from(attacker))).status);
    for (let i = 0; i < 3; i++) statuses.push((await tokenRequest(server, `no-such-client-${i}`, "sk_x_y", from(attacker))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("shares the counts between the token, revocation and introspection endpoints, each answering 429 in RFC 6749 JSON", async () => {
    const client = await newClient(server, admin, "Three doors");
    const attacker = nextAddress();
    const wrong = () => basic(client.clientId, wrongSecretFor(client.secrets[0]!));
    for (let i = 0; i < PER_ADDRESS; i++) {
      const path = ["/oauth/revoke", "/oauth/introspect"][i % 2]!;
      expect((await postForm(`${server.url}${path}`, { token: "x" }, { ...wrong(), ...from(attacker) })).status).toBe(401);
    }
    for (const path of ["/oauth/revoke", "/oauth/introspect", "/oauth/token"]) {
      const res = await postForm(`${server.url}${path}`, { token: "x", grant_type: "client_credentials" }, { ...wrong(), ...from(attacker) });
      expect(res.status).toBe(429);
      expect(res.body.error).toBe("temporarily_unavailable");
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    }
  });

  it("groups IPv6 addresses by /64: rotating within one /64 is one address, the next /64 is another", async () => {
    const client = await newClient(server, admin, "IPv6");
    const inOne64 = Array.from({ length: PER_ADDRESS + 3 }, (_, i) => `2001:db8:aa:${i === 0 ? "1" : "0001"}:${(i + 1).toString(16)}::${i + 7}`);
    const statuses: number[] = [];
    for (const address of inOne64) statuses.push((await tokenRequest(server, client.clientId, wrongSecretFor(client.secrets[0]!), from(address))).status);
    expect(statuses).toEqual([...Array(PER_ADDRESS).fill(401), 429, 429, 429]);
    expect((await tokenRequest(server, client.clientId, wrongSecretFor(client.secrets[0]!), from("2001:db8:aa:2::1"))).status).toBe(401);
    const trip = (await auditEvents(server, "client_authentication.throttled")).find((e) => e.details.includes("2001:db8:aa:1::/64"));
    expect(trip).toBeDefined();
  });
});

describe("the address a throttle counts", () => {
  it("is an IPv4 address as it is, an IPv6 address's /64, and an IPv4-mapped IPv6 address's IPv4", () => {
    expect(throttleAddress("192.0.2.7")).toBe("192.0.2.7");
    expect(throttleAddress("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(throttleAddress("2001:0db8:0001:0002::ffff")).toBe("2001:db8:1:2::/64");
    expect(throttleAddress("::1")).toBe("0:0:0:0::/64");
    expect(throttleAddress("::ffff:192.0.2.7")).toBe("192.0.2.7");
  });

  it("believes X-Forwarded-For only from a trusted proxy (TRUST_PROXY, off by default)", async () => {
    const untrusting = await startTestServer({ env: { ...THROTTLE_ENV, TRUST_PROXY: "" } });
    try {
      expect(untrusting.config.trustProxy).toBe(false);
      const target = await bootstrapAdmin(untrusting, "Untrusting");
      const client = await newClient(untrusting, target, "Spoofed");
      // Every request claims another address; all come from 127.0.0.1, and that is what counts.
      const statuses: number[] = [];
      for (let i = 0; i < PER_ADDRESS + 1; i++) statuses.push((await tokenRequest(untrusting, client.clientId, wrongSecretFor(client.secrets[0]!), from(nextAddress()))).status);
      expect(statuses).toEqual([...Array(PER_ADDRESS).fill(401), 429]);
      const trip = (await auditEvents(untrusting, "client_authentication.throttled"))[0];
      expect(JSON.parse(trip!.details).address).toBe("127.0.0.1");
    } finally {
      await untrusting.close();
    }
    // The trusting server counts each forwarded address on its own.
    const client = await newClient(server, admin, "Forwarded");
    const statuses: number[] = [];
    for (let i = 0; i < PER_ADDRESS + 1; i++) statuses.push((await tokenRequest(server, client.clientId, wrongSecretFor(client.secrets[0]!), from(nextAddress()))).status);
    expect(statuses).toEqual(Array(PER_ADDRESS + 1).fill(401));
  });

  it("refuses a TRUST_PROXY that is not true, false or a list of addresses and CIDRs, and per-subject limits not above per-address ones", () => {
    expect(() => loadConfig({ TRUST_PROXY: "2" + "x" })).toThrow(/TRUST_PROXY/);
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8, loopback" }).trustProxy).toBe("10.0.0.0/8, loopback");
    expect(() => loadConfig({ CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: "50", CLIENT_AUTH_MAX_FAILURES_PER_CLIENT: "50" })).toThrow(/CLIENT_AUTH_MAX_FAILURES_PER_CLIENT must be greater/);
    expect(() => loadConfig({ SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "5" })).toThrow(/SIGN_IN_MAX_FAILURES_PER_ACCOUNT must be greater/);
    expect(loadConfig({}).throttles).toEqual({
      clientAuthentication: { windowSeconds: 60, perAddress: 20, perSubject: 100 },
      signIn: { windowSeconds: 300, perAddress: 20, perSubject: 50 },
      deviceCode: { windowSeconds: 300, perAddress: 20, perSubject: 5 },
    });
  });
});

/** Signs in through the real form (cookie and CSRF token first), from a claimed address. */
async function signInForm(target: TestServer, address: string) {
  const page = await fetch(`${target.url}/oauth/login`, { headers: from(address) });
  const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  return async (email: string, password: string) => {
    const res = await fetch(`${target.url}/oauth/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie, ...from(address) },
      body: new URLSearchParams({ csrf, return_to: "/oauth/authorize", email, password }).toString(),
    });
    return { status: res.status, retryAfter: res.headers.get("retry-after"), text: await res.text() };
  };
}

describe("sign-in", () => {
  it("cuts a parallel batch of 20 wrong passwords off at the limit with a 429 page, one audit event, and lets the person in from elsewhere and, after the window, from there", async () => {
    const person = await createUser(server, admin.organizationDbId, "ada@acme.example");
    const attacker = nextAddress();
    const attempt = await signInForm(server, attacker);
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(person.email, `wrong password ${i}`)));
    const elapsed = Date.now() - started;
    expect(countBy(answers.map((a) => a.status))).toEqual({ 401: PER_ADDRESS, 429: 20 - PER_ADDRESS });
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.text).toMatch(/Too many failed sign-in attempts\. Please try again in \d+ seconds\./);
    expect(refused.text).toContain('role="alert"');
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    const trips = (await auditEvents(server, "sign_in.throttled")).filter((e) => e.details.includes(attacker));
    expect(trips).toHaveLength(1);
    expect(JSON.parse(trips[0]!.details)).toMatchObject({ limit: "address", email: person.email, address: attacker, failures: PER_ADDRESS });
    expect(JSON.stringify(trips)).not.toContain("wrong password");
    console.log(`[throttle figures] 20 parallel wrong passwords from one address: ${JSON.stringify(countBy(answers.map((a) => a.status)))} in ${elapsed} ms, ${trips.length} audit event`);

    expect((await (await signInForm(server, nextAddress()))(person.email, person.password)).status).toBe(303);
    expect((await attempt(person.email, person.password)).status).toBe(429);
    passWindow();
    expect((await attempt(person.email, person.password)).status).toBe(303);
  });

  it("throttles an account attacked from many addresses, counting unknown emails alike, and never past the window", async () => {
    const person = await createUser(server, admin.organizationDbId, "bea@acme.example");
    const answers: number[] = [];
    for (let i = 0; i < PER_SUBJECT + 2; i++) answers.push((await (await signInForm(server, nextAddress()))(person.email, `guess ${i}`)).status);
    expect(answers).toEqual([...Array(PER_SUBJECT).fill(401), 429, 429]);
    const unknown: number[] = [];
    for (let i = 0; i < PER_SUBJECT + 1; i++) unknown.push((await (await signInForm(server, nextAddress()))("nobody@acme.example", `guess ${i}`)).status);
    expect(unknown.at(-1)).toBe(429);
    const trip = (await auditEvents(server, "sign_in.throttled")).find((e) => e.details.includes('"limit":"account"') && e.details.includes(person.email));
    expect(trip!.targetId).toMatch(/^usr_/);
    expect((await (await signInForm(server, nextAddress()))(person.email, person.password)).status).toBe(429);
    passWindow();
    expect((await (await signInForm(server, nextAddress()))(person.email, person.password)).status).toBe(303);
  });
});

describe("counters shared by every process", () => {
  async function twoServers(database: TestDatabase, env: Record<string, string>) {
    const a = await startTestServer({ env: { ...THROTTLE_ENV, ...env }, database });
    const b = await startTestServer({ env: { ...THROTTLE_ENV, ...env }, database });
    return [a, b] as const;
  }

  async function attackBoth(a: TestServer, b: TestServer) {
    const owner = await bootstrapAdmin(a, `Shared ${randomBytes(3).toString("hex")}`);
    const client = await newClient(a, owner, "Shared target");
    const attacker = nextAddress();
    const statuses: number[] = [];
    for (let i = 0; i < PER_ADDRESS + 2; i++) {
      const target = i % 2 === 0 ? a : b;
      statuses.push((await tokenRequest(target, client.clientId, wrongSecretFor(client.secrets[0]!), from(attacker))).status);
    }
    return statuses;
  }

  it("counts in PostgreSQL when it is the database: two servers on one database share one count", async () => {
    const database = await createTestDatabase({ provider: "postgresql" });
    const [a, b] = await twoServers(database, {});
    try {
      expect(a.services.throttles.store).toBe("postgresql");
      expect(await attackBoth(a, b)).toEqual([...Array(PER_ADDRESS).fill(401), 429, 429]);
      const rows = await a.services.db.throttleCounter.count();
      expect(rows).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });

  it("counts in Redis when REDIS_URL is set: two servers share one count", async () => {
    const database = await createTestDatabase({ provider: "sqlite" });
    const [a, b] = await twoServers(database, { REDIS_URL: "redis://127.0.0.1:6379", REDIS_KEY_PREFIX: `sktest:${randomBytes(4).toString("hex")}` });
    try {
      expect(a.services.throttles.store).toBe("redis");
      expect(await attackBoth(a, b)).toEqual([...Array(PER_ADDRESS).fill(401), 429, 429]);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });

  it("counts in memory for one SQLite process: a second process on the same file keeps its own count", async () => {
    const database = await createTestDatabase({ provider: "sqlite" });
    const [a, b] = await twoServers(database, {});
    try {
      expect(a.services.throttles.store).toBe("memory");
      expect(await attackBoth(a, b)).toEqual(Array(PER_ADDRESS + 2).fill(401));
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

describe("when the shared store fails", () => {
  /** A second server on `base`'s database whose log lines are kept. */
  async function watchedServer(base: TestServer, env: Record<string, string>) {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push((JSON.parse(line) as { msg: string }).msg);
        done();
      },
    });
    const target = await startTestServer({ env: { ...THROTTLE_ENV, LOG_LEVEL: "error", ...env }, database: base.database, logStream });
    return { target, lines };
  }

  const storeLines = (lines: string[]) => lines.filter((l) => l.startsWith("throttle store"));

  it("refuses with 429 what it cannot count while Redis is unreachable, never counting alone: a metric and one log line", async () => {
    const client = await newClient(server, admin, "Redis down");
    const { target, lines } = await watchedServer(server, { REDIS_URL: "redis://127.0.0.1:1", REDIS_KEY_PREFIX: `sktest:${randomBytes(4).toString("hex")}` });
    try {
      expect(target.services.throttles.store).toBe("redis");
      const attacker = nextAddress();
      // Alone, this process would let the address's whole limit through; it lets none.
      const answers = [];
      for (let i = 0; i < PER_ADDRESS + 2; i++) answers.push(await tokenRequest(target, client.clientId, wrongSecretFor(client.secrets[0]!), from(attacker)));
      expect(answers.map((a) => a.status)).toEqual(Array(PER_ADDRESS + 2).fill(429));
      expect(answers[0]!.headers.get("retry-after")).toBe("5");
      expect(answers[0]!.body).toMatchObject({ error: "temporarily_unavailable" });
      // A secret this process never verified cannot be checked without counting: refused too.
      expect((await tokenRequest(target, client.clientId, client.secrets[0]!, from(nextAddress()))).status).toBe(429);
      expect(await metric(target, "scopekeeper_throttle_store_failures_total", { throttle: "client_authentication" })).toBe(PER_ADDRESS + 3);
      expect(await throttledMetric(target, "/oauth/token", "client_authentication_store_unavailable")).toBe(PER_ADDRESS + 3);
      expect(storeLines(lines)).toHaveLength(1);
      expect(storeLines(lines)[0]).toMatch(/^throttle store \(redis\) unreachable: refusing \(429\)/);
    } finally {
      await target.close();
    }
  });

  it.runIf(POSTGRES_URL)(
    "refuses what it cannot count while the PostgreSQL counters fail, and counts again once they answer",
    async () => {
      const client = await newClient(server, admin, "Counters down");
      const { target, lines } = await watchedServer(server, {});
      expect(target.services.throttles.store).toBe("postgresql");
      const attacker = nextAddress();
      await target.services.db.$executeRawUnsafe(`ALTER TABLE "ThrottleCounter" RENAME TO "ThrottleCounterAway"`);
      try {
        const answers = [];
        for (let i = 0; i < 3; i++) answers.push((await tokenRequest(target, client.clientId, wrongSecretFor(client.secrets[0]!), from(attacker))).status);
        expect(answers).toEqual([429, 429, 429]);
        expect(await metric(target, "scopekeeper_throttle_store_failures_total", { throttle: "client_authentication" })).toBe(3);
      } finally {
        await target.services.db.$executeRawUnsafe(`ALTER TABLE "ThrottleCounterAway" RENAME TO "ThrottleCounter"`);
      }
      try {
        expect((await tokenRequest(target, client.clientId, wrongSecretFor(client.secrets[0]!), from(attacker))).status).toBe(401);
        expect(storeLines(lines)).toHaveLength(2);
        expect(storeLines(lines)[0]).toMatch(/^throttle store \(postgresql\) unreachable/);
        expect(storeLines(lines)[1]).toBe("throttle store (postgresql) answers again: counting resumed");
      } finally {
        await target.close();
      }
    },
  );
});
