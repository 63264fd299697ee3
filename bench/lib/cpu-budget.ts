// CPU budgets for server processes: a Linux cgroup per process with a CFS quota, as a container's
// CPU limit would be. On a 2-core machine that also runs the load generator, a process that may
// use every core leaves nothing for a second one to add, and pinning each process to a whole core
// leaves autocannon squeezed between them. With a budget below half the machine per process, two
// processes still leave the load generator room, so "does a second process add what the first
// has?" is measured rather than the machine's size.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** CFS period: short, so a throttled process waits at most a few ms (not the default 100 ms). */
const PERIOD_US = 10_000;

export interface CpuBudget {
  /** The command that starts `command` inside the cgroup (exec: the pid stays the same). */
  wrap(command: string, args: string[]): [string, string[]];
}

interface Hierarchy {
  /** the folder new cgroups are made in */
  root: string;
  setLimit(dir: string, cores: number): void;
}

function v1(): Hierarchy | null {
  const root = "/sys/fs/cgroup/cpu";
  try {
    readFileSync(path.join(root, "cpu.cfs_period_us"), "utf8");
  } catch {
    return null;
  }
  return {
    root,
    setLimit(dir, cores) {
      writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
      writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(Math.round(cores * PERIOD_US)));
    },
  };
}

function v2(): Hierarchy | null {
  const root = "/sys/fs/cgroup";
  try {
    if (!readFileSync(path.join(root, "cgroup.subtree_control"), "utf8").split(/\s+/).includes("cpu")) return null;
  } catch {
    return null;
  }
  return {
    root,
    setLimit(dir, cores) {
      writeFileSync(path.join(dir, "cpu.max"), `${Math.round(cores * PERIOD_US)} ${PERIOD_US}`);
    },
  };
}

const made = new Set<string>();

/**
 * A cgroup limited to `cores`, or the reason there cannot be one (not root, no cpu controller).
 * The caller reports the reason instead of the measurement: never a silent fallback.
 */
export function createCpuBudget(name: string, cores: number): CpuBudget | { unavailable: string } {
  const h = v1() ?? v2();
  if (!h) return { unavailable: "no writable cgroup cpu controller (/sys/fs/cgroup/cpu or cgroup v2 cpu.max)" };
  const dir = path.join(h.root, `scopekeeper-bench-${process.pid}-${name}`);
  try {
    mkdirSync(dir);
    made.add(dir);
    h.setLimit(dir, cores);
  } catch (e) {
    removeDir(dir);
    return { unavailable: `cannot make a cgroup in ${h.root}: ${(e as Error).message}` };
  }
  return { wrap: (command, args) => ["/bin/sh", ["-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args]] };
}

function removeDir(dir: string): void {
  try {
    rmdirSync(dir);
    made.delete(dir);
  } catch {
    // still has processes, or already gone
  }
}

/** For the benchmark's exit paths, after its processes have exited: every cgroup it made. */
export function removeAllCpuBudgets(): void {
  for (const dir of [...made]) removeDir(dir);
}
