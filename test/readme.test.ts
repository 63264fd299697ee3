// The README's shell blocks run as written, in order, in one bash session, against the server
// its first block starts. A command that fails, or a `# => VALUE` whose command prints
// something else, fails the test. Four things differ from a person at a terminal, each
// visible here: the ports (the README's 4000 and the demo identity provider's 4001 become free
// ones), blocks marked `<!-- readme-test: skip ... -->` (installing and testing the project
// itself), the browser step, which this test performs over HTTP before the block that sets
// CODE, and npm's own start-up (2-3 s a command on this machine), which is skipped: `npm start`
// runs package.json's start script directly, `npx scopekeeper COMMAND` runs bin/scopekeeper.js
// (what npx runs) for the commands that keep running (serve, demo-idp), and the same entry point
// inside this process (src/cli/main.ts's runCli, through a small loopback endpoint) for those
// that end (bootstrap, user, pkce). test/cli.test.ts spawns the real binary for every command
// family, and test/package.test.ts runs the installed package's.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent, authorize } from "./helpers/agent.ts";
import { runCliInProcess } from "./helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { freePort, TEST_ARGON2_ENV } from "./helpers/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const CODE_PLACEHOLDER = "CODE=paste-the-code-here";
const DONE = "__README_BLOCK_DONE__";

interface Block {
  line: number;
  code: string;
}

/** ```sh blocks (indented ones in lists too), without those marked to skip. */
function shellBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```sh\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent));
    const skipped = /<!-- readme-test: skip/.test(lines[i - 1] ?? "");
    if (!skipped) blocks.push({ line: i + 1, code: body.join("\n") });
    i = j;
  }
  return blocks;
}

const singleQuoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A command ending in `# => VALUE` prints its output and stops the script if it differs. */
function withExpectations(code: string): string {
  const out: string[] = [];
  let pending: string[] = [];
  for (const line of code.split("\n")) {
    pending.push(line);
    if (line.endsWith("\\")) continue;
    const command = pending.join("\n");
    pending = [];
    const m = /^([\s\S]*?)\s+# => (.*)$/.exec(command);
    if (!m) {
      out.push(command);
      continue;
    }
    const expected = m[2]!.trim();
    out.push(
      `__out=$(${m[1]!.trim()})\nprintf '%s\\n' "$__out"\n` +
        `if [ "$__out" != ${singleQuoted(expected)} ]; then echo "README expected: ${expected.replace(/["$`\\]/g, "\\$&")} but got: $__out" >&2; exit 97; fi`,
    );
  }
  return out.join("\n");
}

const START_SCRIPT = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;

/**
 * `npm start` and `npx scopekeeper ARGS` in the README's bash, without npm's start-up. Commands
 * that end run in this process (their arguments NUL-separated in the body; stdout, stderr and
 * the exit code come back as JSON); `serve` and `demo-idp`, which keep running, run
 * bin/scopekeeper.js in a new process; anything else goes to the real npm and npx.
 */
const NPX_SHIM = `npm() {
  if [ "$#" = 1 ] && [ "$1" = start ]; then ${START_SCRIPT}; return; fi
  command npm "$@"
}
npx() {
  if [ "$1" = scopekeeper ] && { [ "$2" = serve ] || [ "$2" = demo-idp ]; }; then
    shift
    node bin/scopekeeper.js "$@"
    return
  fi
  if [ "$1" = scopekeeper ]; then
    shift
    local __r
    __r=$(printf '%s\\0' "$@" | curl -sf --data-binary @- "http://127.0.0.1:$README_CLI_PORT/") || return 98
    printf '%s' "$__r" | jq -j .stdout
    printf '%s' "$__r" | jq -j .stderr >&2
    return "$(printf '%s' "$__r" | jq -r .status)"
  fi
  command npx "$@"
}`;

/** Serves NPX_SHIM's requests: one command at a time, with the README shell's environment. */
async function startCliEndpoint(env: Record<string, string>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const args = Buffer.concat(chunks).toString("utf8").split("\0").slice(0, -1);
      runCliInProcess(args, env).then(
        (r) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr })),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

let database: TestDatabase;
let bash: ChildProcessWithoutNullStreams | undefined;
let cliEndpoint: http.Server | undefined;
let port: number;
let idpPort: number;

beforeAll(async () => {
  database = await createTestDatabase();
  port = await freePort();
  idpPort = await freePort();
});
afterAll(async () => {
  cliEndpoint?.close();
  if (bash?.pid) {
    // The README's `npm start &` runs in bash's process group: end the whole group.
    try {
      process.kill(-bash.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
  }
  await database?.drop();
});

it("has curl and jq, which the README's blocks use", () => {
  for (const tool of ["curl", "jq"]) expect(spawnSync(tool, ["--version"]).status, `${tool} is not installed (apt-get install -y ${tool})`).toBe(0);
});

it("runs every shell block of the README in order, with the documented outputs", { timeout: 240_000 }, async () => {
  const blocks = shellBlocks(README);
  expect(blocks.length).toBeGreaterThan(5);
  expect(README).toContain(CODE_PLACEHOLDER);

  const env: Record<string, string> = {
    PATH: process.env.PATH!,
    HOME: process.env.HOME!,
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    PORT: String(port),
    DATABASE_URL: database.url,
    npm_config_update_notifier: "false",
    ...TEST_ARGON2_ENV,
  };
  cliEndpoint = await startCliEndpoint(env);
  bash = spawn("bash", ["--noprofile", "--norc"], {
    cwd: ROOT,
    detached: true,
    env: { ...env, README_CLI_PORT: String((cliEndpoint.address() as AddressInfo).port) },
  });
  let stdout = "";
  let stderr = "";
  let exited: number | null = null;
  bash.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  bash.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  bash.on("exit", (code) => (exited = code ?? 1));

  const until = async (marker: string): Promise<string> => {
    for (;;) {
      const at = stdout.indexOf(marker);
      if (at >= 0) {
        const before = stdout.slice(0, at);
        stdout = stdout.slice(at + marker.length + 1);
        return before;
      }
      if (exited !== null) throw new Error(`bash exited with ${exited}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const variable = async (name: string) => {
    bash!.stdin.write(`printf '%s\\n' "$${name}"; echo ${DONE}\n`);
    return (await until(DONE)).trim();
  };

  bash.stdin.write(`${NPX_SHIM}\n`);
  for (const block of blocks) {
    let code = block.code
      .replaceAll("127.0.0.1:4000", `127.0.0.1:${port}`)
      .replaceAll("127.0.0.1:4001", `127.0.0.1:${idpPort}`)
      .replaceAll("--port 4001", `--port ${idpPort}`);
    if (code.includes(CODE_PLACEHOLDER)) {
      // The person's browser: sign in as the README's user, allow, and read the code.
      const authorizeUrl = await variable("AUTHORIZE_URL");
      expect(authorizeUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/oauth/authorize\\?`));
      const redirect = await authorize(new Agent(`http://127.0.0.1:${port}`), Object.fromEntries(new URL(authorizeUrl).searchParams), {
        email: "alice@example.com",
        password: "a long password",
      });
      expect(`${redirect.origin}${redirect.pathname}`).toBe("https://app.example.com/callback");
      code = code.replace(CODE_PLACEHOLDER, `CODE=${redirect.searchParams.get("code")}`);
    }
    stderr = "";
    bash.stdin.write(`set -e -o pipefail\n${withExpectations(code)}\nset +e +o pipefail\necho ${DONE}\n`);
    try {
      await until(DONE);
    } catch (err) {
      throw new Error(`README.md block at line ${block.line} failed:\n${block.code}\n\n${(err as Error).message}`);
    }
  }

  // The token-exchange block, beyond its printed outputs: every token is alice's (the `sub` of
  // her token from the authorization code flow), and the on-behalf-of ones name the middle tier.
  const alice = decodeJwt(JSON.parse(await variable("TOKENS")).access_token).sub;
  expect(alice).toMatch(/^usr_/);
  const oboClientId = await variable("OBO_CLIENT_ID");
  const claims = async (name: string) => decodeJwt((JSON.parse(await variable(name)) as { access_token: string }).access_token);
  expect(await claims("EXCHANGED")).toMatchObject({ sub: alice });
  expect((await claims("EXCHANGED")).act).toBeUndefined();
  for (const name of ["OBO", "ENTRA", "NAMED"]) expect(await claims(name), name).toMatchObject({ sub: alice, act: { sub: oboClientId } });
});
