// The README's shell blocks run as written, in order, in one bash session, against the server
// its first block starts. A command that fails, or a `# => VALUE` whose command prints
// something else, fails the test. Three things differ from a person at a terminal, each
// visible here: the ports (the README's 4000 and the demo identity provider's 4001 become free
// ones), blocks marked `<!-- readme-test: skip ... -->` (installing and testing the project
// itself), and the browser step, which this test performs over HTTP before the block that sets
// CODE. The README runs the clone's command as `bin/scopekeeper.js` (0.6 s a command here),
// not `npx scopekeeper`, which in a project's own clone first installs the project into npx's
// cache (52-55 s from an empty cache, then 3-4 s a command).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent, authorize } from "./helpers/agent.ts";
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

let database: TestDatabase;
let bash: ChildProcessWithoutNullStreams | undefined;
let port: number;
let idpPort: number;

beforeAll(async () => {
  database = await createTestDatabase();
  port = await freePort();
  idpPort = await freePort();
});
afterAll(async () => {
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
  bash = spawn("bash", ["--noprofile", "--norc"], { cwd: ROOT, detached: true, env });
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
