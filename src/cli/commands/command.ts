// The shape of one `scopekeeper <command>`: its help and how it runs.
import type { Config } from "../../config/index.ts";

export interface CommandContext {
  /** The validated environment; loaded on first use so `--help` works with a broken one. */
  config(): Config;
}

export interface Command {
  name: string;
  /** One line for `scopekeeper --help`. */
  summary: string;
  /** The full help: usage, options, examples. */
  help: string;
  /** Resolves to the exit code, or "running" for a server that keeps the process alive. */
  run(args: string[], ctx: CommandContext): Promise<number | "running">;
}
