// Child processes of the benchmark: every one is tracked here and ended on exit, on error and
// on SIGINT/SIGTERM, by its own pid (never by name).
import { spawn, type ChildProcess } from "node:child_process";

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** The last lines it printed, shown when it fails. */
  tail: string[];
  exited: Promise<number | null>;
  exitCode: number | null | undefined;
  lineListeners: Set<(line: string) => void>;
}

const children = new Set<Child>();
const TAIL_LINES = 60;

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with every stdout line (stderr lines only go to the tail). */
  onLine?: (line: string) => void;
}

export function spawnChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const child: Child = {
    name,
    proc,
    pid: proc.pid,
    tail: [],
    exitCode: undefined,
    lineListeners: new Set(),
    exited: new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        child.exitCode = code ?? (signal ? -1 : null);
        children.delete(child);
        resolve(code);
      });
    }),
  };
  const collect = (stream: NodeJS.ReadableStream | null, isStdout: boolean) => {
    if (!stream) return;
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        child.tail.push(line);
        if (child.tail.length > TAIL_LINES) child.tail.shift();
        if (isStdout) {
          options.onLine?.(line);
          for (const l of child.lineListeners) l(line);
        }
      }
    });
  };
  collect(proc.stdout, true);
  collect(proc.stderr, false);
  children.add(child);
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== undefined) return;
  child.proc.kill("SIGTERM");
  const timer = setTimeout(() => child.proc.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function stopAll(graceMs = 10_000): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c, graceMs)));
}

/** For process 'exit': synchronous, so only a signal. */
export function killAllNow(): void {
  for (const c of children) {
    try {
      c.proc.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

export function describeFailure(child: Child): string {
  return `${child.name} (pid ${child.pid}) last output:\n  ${child.tail.join("\n  ")}`;
}

/** Runs a command to completion (bounded by timeoutMs) and returns its output. */
export async function runToCompletion(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(command, args, { cwd: process.cwd(), env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  const child: Child = {
    name,
    proc,
    pid: proc.pid ?? -1,
    tail: [],
    exitCode: undefined,
    lineListeners: new Set(),
    exited: Promise.resolve(null),
  };
  children.add(child);
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once("error", reject);
    proc.once("exit", (c) => resolve(c));
  }).finally(() => {
    clearTimeout(timer);
    child.exitCode = proc.exitCode;
    children.delete(child);
  });
  return { code, stdout, stderr };
}

/** Waits for a stdout line that `match` accepts, failing if the child exits or time runs out. */
export function waitForLine<T>(child: Child, match: (line: string) => T | undefined, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.lineListeners.delete(listener);
      f();
    };
    const listener = (line: string) => {
      const hit = safe(() => match(line));
      if (hit !== undefined) finish(() => resolve(hit));
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`${child.name} not ready after ${timeoutMs} ms\n${describeFailure(child)}`))),
      timeoutMs,
    );
    for (const line of child.tail) listener(line);
    child.lineListeners.add(listener);
    void child.exited.then(() =>
      finish(() => reject(new Error(`${child.name} exited (code ${child.exitCode}) before it was ready\n${describeFailure(child)}`))),
    );
  });
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Polls `url` until it answers 200, failing if the child exits or time runs out. */
export async function waitForHttp(child: Child, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== undefined) {
      throw new Error(`${child.name} exited (code ${child.exitCode}) before it was ready\n${describeFailure(child)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms\n${describeFailure(child)}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number | null> {
  const { readFile } = await import("node:fs/promises");
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function ticksOfStat(stat: string): number {
  // Fields after the command name (which may contain spaces) start at ")".
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return Number(rest[11]) + Number(rest[12]);
}

/** CPU seconds (user + system) a process has used: all threads, and its main thread alone. */
export async function cpuOf(pid: number): Promise<{ total: number; main: number } | null> {
  const { readFile } = await import("node:fs/promises");
  try {
    const [all, main] = await Promise.all([readFile(`/proc/${pid}/stat`, "utf8"), readFile(`/proc/${pid}/task/${pid}/stat`, "utf8")]);
    return { total: ticksOfStat(all) / TICKS_PER_SECOND, main: ticksOfStat(main) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/** Measures CPU used by `pids` and by this process while `work` runs, in cores (CPU s / wall s). */
export async function withCpu<T>(
  pids: number[],
  work: () => Promise<T>,
): Promise<{ value: T; serverCores: number; serverMainCores: number; loadgenCores: number }> {
  const before = await Promise.all(pids.map(cpuOf));
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const wall = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const after = await Promise.all(pids.map(cpuOf));
  let total = 0;
  let main = 0;
  pids.forEach((_, i) => {
    const b = before[i];
    const a = after[i];
    if (a && b) {
      total += a.total - b.total;
      main += a.main - b.main;
    }
  });
  return {
    value,
    serverCores: total / wall,
    serverMainCores: main / wall,
    loadgenCores: (self.user + self.system) / 1e6 / wall,
  };
}
