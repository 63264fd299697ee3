// The `scopekeeper` command line, two ways. `runCliInProcess` calls the same entry point the
// binary calls (src/cli/main.ts's runCli) with its own environment and captures what it prints:
// tests use it for the many cases, since a new Node process with Prisma's start-up costs
// seconds per command. `runCliProcess` starts bin/scopekeeper.js for real (the compiled
// server): each command family keeps at least one test that way.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { format } from "node:util";
import { runCli } from "../../src/cli/main.ts";
import { TEST_ARGON2_ENV } from "./server.ts";

export const CLI = path.resolve(import.meta.dirname, "../../bin/scopekeeper.js");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stderr's non-empty lines. */
  lines: string[];
}

const result = (status: number | null, stdout: string, stderr: string): CliResult => ({
  status,
  stdout,
  stderr,
  lines: stderr.trim().split("\n").filter(Boolean),
});

/** What a spawned command gets: PATH and HOME, the test environment, low argon2 cost. */
export function cliEnv(env: Record<string, string>): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", ...TEST_ARGON2_ENV, ...env };
}

let running = false;

/**
 * Runs `scopekeeper ...args` inside this process. Commands that serve (exit code "running")
 * are for runCliProcess. One at a time: the console is captured while it runs.
 */
export async function runCliInProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  if (running) throw new Error("runCliInProcess: one command at a time (it captures the console)");
  running = true;
  let stdout = "";
  let stderr = "";
  const saved = { log: console.log, error: console.error, warn: console.warn, out: process.stdout.write, err: process.stderr.write };
  console.log = (...a: unknown[]) => void (stdout += `${format(...a)}\n`);
  console.error = console.warn = (...a: unknown[]) => void (stderr += `${format(...a)}\n`);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(args, cliEnv(env));
    if (code === "running") throw new Error(`scopekeeper ${args.join(" ")} kept running: use runCliProcess for commands that serve`);
    return result(code, stdout, stderr);
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn });
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    running = false;
  }
}

/** Runs bin/scopekeeper.js in a new Node process, as an operator's shell does. */
export function runCliProcess(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: cliEnv(env), encoding: "utf8", timeout: 60_000 });
  return result(r.status, r.stdout, r.stderr);
}
