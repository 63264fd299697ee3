// What a person's sign-in costs in time with and without a second factor, in the same run on
// the same server (the compiled server in production mode, argon2id at its default cost):
//   password only        GET /oauth/login, POST /oauth/login (argon2id), up to an ACTIVE session
//   password + TOTP      the same, then GET and POST /oauth/login/second-factor with a code
// Sign-ins run one at a time (a person's latency, not throughput), the two kinds interleaved so
// the machine's load falls on both alike. A TOTP code is accepted once per time step, so each
// second-factor sign-in is a different person with an app set up beforehand, and signs in with
// the next step's code (the one the app shows next; the current one confirmed the app).
//
//   npx tsx bench/sign-in.ts [--quick]        (npm run build first: it runs dist/)
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { generate } from "otplib";
import { hashPassword } from "../src/auth/users.ts";
import { loadConfig } from "../src/config/index.ts";
import { stopAll } from "./lib/procs.ts";
import { reportRun } from "./lib/report.ts";
import { bootstrap, randomChars, scopekeeperEnv, startScopekeeper } from "./lib/scopekeeper.ts";

const QUICK = process.argv.includes("--quick");
const N = QUICK ? 20 : 60;
const PASSWORD = "bench password 1";

/** A tiny cookie-keeping client (no redirects followed), as test/helpers/agent.ts. */
class Browser {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  async request(p: string, form?: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
    const headers: Record<string, string> = { "user-agent": "bench" };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (form) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await fetch(`${this.base}${p}`, { method: form ? "POST" : "GET", headers, body: form ? new URLSearchParams(form).toString() : undefined, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const [name, ...rest] = pair!.split("=");
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name!);
      else this.cookies.set(name!, rest.join("="));
    }
    return { status: res.status, location: res.headers.get("location"), text: await res.text() };
  }
  csrf(html: string): string {
    const m = /name="csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error("no CSRF field on the page");
    return m[1]!;
  }
}

/** Password sign-in; returns where it leads (the account page, or the second-factor page). */
async function passwordStep(b: Browser, email: string): Promise<string> {
  const login = await b.request("/oauth/login?return_to=%2Foauth%2Faccount");
  const res = await b.request("/oauth/login", { csrf: b.csrf(login.text), return_to: "/oauth/account", email, password: PASSWORD });
  if (res.status !== 303 || !res.location) throw new Error(`sign-in of ${email} failed: ${res.status}`);
  return res.location;
}

async function codeStep(b: Browser, at: string, secret: string): Promise<void> {
  const page = await b.request(at);
  const res = await b.request("/oauth/login/second-factor", { csrf: b.csrf(page.text), return_to: "/oauth/account", code: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }) });
  if (res.status !== 303 || res.location !== "/oauth/account") throw new Error(`second factor refused: ${res.status}`);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const tmp = mkdtempSync(path.join(os.tmpdir(), "scopekeeper-bench-sign-in-"));
try {
  const dbFile = path.join(tmp, "bench.db");
  const env = scopekeeperEnv(`file:${dbFile}`, randomChars(40));
  await bootstrap(env, "Bench"); // migrates the database
  // People: one argon2id hash at the server's default cost, shared (each verification still runs it).
  const config = loadConfig({ DATABASE_URL: `file:${dbFile}`, NODE_ENV: "production", SCOPEKEEPER_KEY_ENCRYPTION_SECRET: env.SCOPEKEEPER_KEY_ENCRYPTION_SECRET! });
  const hash = await hashPassword(PASSWORD, config.argon2);
  const sqlite = new Database(dbFile);
  const insert = sqlite.prepare(`INSERT INTO "User" ("id", "email", "passwordHash", "createdAt") VALUES (?, ?, ?, ?)`);
  for (let i = 0; i < N; i++) {
    insert.run(`benchplain${i}`, `plain${i}@bench.test`, hash, Date.now());
    insert.run(`benchtotp${i}`, `totp${i}@bench.test`, hash, Date.now());
  }
  sqlite.close();

  const server = await startScopekeeper("scopekeeper-sqlite", env);
  // Each TOTP person adds an app through the pages, as a person would.
  const secrets: string[] = [];
  for (let i = 0; i < N; i++) {
    const b = new Browser(server.url);
    await passwordStep(b, `totp${i}@bench.test`);
    const account = await b.request("/oauth/account");
    const setup = await b.request("/oauth/account/totp", { csrf: b.csrf(account.text) });
    const secret = /id="secret"[^>]*value="([A-Z2-7 ]+)"/.exec(setup.text)![1]!.replace(/ /g, "");
    const done = await b.request("/oauth/account/totp/verify", { csrf: b.csrf(setup.text), code: await generate({ secret }) });
    if (!done.text.includes("Recovery codes")) throw new Error("could not add an authenticator app");
    secrets.push(secret);
  }
  // Warm-up: the first sign-ins load code paths and the dummy hash.
  for (let i = 0; i < 3; i++) await passwordStep(new Browser(server.url), `plain${i}@bench.test`);

  const plain: number[] = [];
  const withTotp: number[] = [];
  const codeOnly: number[] = [];
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    const at = await passwordStep(new Browser(server.url), `plain${i}@bench.test`);
    if (at !== "/oauth/account") throw new Error(`plain sign-in went to ${at}`);
    plain.push(performance.now() - t);

    const b = new Browser(server.url);
    t = performance.now();
    const next = await passwordStep(b, `totp${i}@bench.test`);
    const mid = performance.now();
    await codeStep(b, next, secrets[i]!);
    const end = performance.now();
    withTotp.push(end - t);
    codeOnly.push(end - mid);
  }
  const row = (label: string, xs: number[]) => `| ${label} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 90).toFixed(1)} |`;
  const ratio = pct(withTotp, 50) / pct(plain, 50);
  await reportRun(
    "sign-in",
    [
      `# Sign-in with and without a second factor (${new Date().toISOString().slice(0, 16)} UTC)`,
      "",
      `${N} sign-ins of each kind, one at a time, interleaved; compiled server, NODE_ENV=production, SQLite, argon2id m=${config.argon2.memoryCost} KiB t=${config.argon2.timeCost}; ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the end.`,
      "",
      "| sign-in | median ms | p90 ms |",
      "| --- | ---: | ---: |",
      row("password only (page + password)", plain),
      row("password + authenticator app (page + password + code page + code)", withTotp),
      row("the second step alone (code page + code)", codeOnly),
      "",
      `Ratio, median with a second factor / without: **${ratio.toFixed(2)}x**.`,
    ],
    { quick: QUICK },
  );
} finally {
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
}
