// Option parsing for every command: node's parseArgs, with its errors turned into one line
// that names the option, says what it takes, and suggests the nearest known name for a typo.
import { parseArgs } from "node:util";
import { CliError } from "./errors.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  /** What the value is, for "--org needs a value: ..." (string options). */
  value?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

type Values<S extends OptionSpecs> = { [K in keyof S]?: S[K]["type"] extends "string" ? string : boolean };

/** Edit distance, for "did you mean" (names are short; the quadratic table is fine). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate nearest to `word`, when it is near enough to be a typo of it. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const allowed = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= allowed || (best && (best.startsWith(word) || word.startsWith(best))) ? best : undefined;
}

export function parseOptions<S extends OptionSpecs>(command: string, args: string[], specs: S): Values<S> {
  const options = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, { type: spec.type }]));
  try {
    const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
    return values as Values<S>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message;
    const named = /'(-{1,2}[^'\s]+)/.exec(message)?.[1]?.replace(/^-+/, "");
    const help = `see scopekeeper ${command} --help`;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && named !== undefined) {
      const suggestion = closest(named, Object.keys(specs));
      throw new CliError(`unknown option --${named} for ${command}${suggestion ? `: did you mean --${suggestion}?` : `; ${help}`}`);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && named !== undefined && specs[named]) {
      const what = specs[named].value ?? "a value";
      if (specs[named].type === "boolean") throw new CliError(`--${named} takes no value; ${help}`);
      throw new CliError(`--${named} needs a value: ${what}`);
    }
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      const word = /'([^']+)'/.exec(message)?.[1] ?? "";
      throw new CliError(`unexpected argument ${JSON.stringify(word)} for ${command}; ${help}`);
    }
    throw new CliError(`${message}; ${help}`);
  }
}

/** A required string option, with the sentence that says what it is for. */
export function required(value: string | undefined, option: string, what: string): string {
  if (value === undefined || value.trim() === "") throw new CliError(`--${option} is required: ${what}`);
  return value;
}

/** An enum option compared without regard to case (`--role member` is MEMBER). */
export function oneOf<T extends string>(value: string | undefined, option: string, allowed: readonly T[]): T {
  const upper = value?.toUpperCase();
  const found = allowed.find((a) => a === upper);
  if (!found) {
    const hint = value ? closest(value, allowed) : undefined;
    throw new CliError(
      `--${option} must be ${allowed.join(" or ")}${value ? ` (got ${JSON.stringify(value)})` : ""}${hint && value ? `: did you mean ${hint}?` : ""}`,
    );
  }
  return found;
}
