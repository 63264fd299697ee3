// The `scopekeeper` command line. Each command is a module under commands/; every failure an
// operator can fix ends as one line on stderr and exit code 1 (see errors.ts).
import { readFileSync } from "node:fs";
import { loadConfig, type Config } from "../config/index.ts";
import { closest } from "./args.ts";
import { CliError, explainFailure, type FailureContext } from "./errors.ts";
import { admin } from "./commands/admin.ts";
import { bootstrap } from "./commands/bootstrap.ts";
import { catalog } from "./commands/catalog.ts";
import { demoIdp } from "./commands/demo-idp.ts";
import type { Command } from "./commands/command.ts";
import { keys } from "./commands/keys.ts";
import { migrate } from "./commands/migrate.ts";
import { pkce } from "./commands/pkce.ts";
import { secrets } from "./commands/secrets.ts";
import { audit } from "./commands/audit.ts";
import { backup, restore } from "./commands/backup.ts";
import { serve } from "./commands/serve.ts";
import { user } from "./commands/user.ts";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../package-root.ts";

const COMMANDS: Command[] = [serve, migrate, bootstrap, user, admin, keys, secrets, audit, catalog, pkce, backup, restore, demoIdp];

const version = (): string =>
  (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;

const MAIN_HELP = `scopekeeper: OAuth 2 authorization server with a GraphQL client registry

Usage: scopekeeper <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(11)}${c.summary}`).join("\n")}

Options:
  --version     print the version
  --help, -h    show this help; scopekeeper <command> --help shows a command's options and examples

Configuration comes from the environment (PORT, DATABASE_URL, ISSUER, ...): see the README.

Start here:
  scopekeeper serve &
  eval "$(scopekeeper bootstrap --org Acme --env)"`;

/** `failureContext` gets what explainFailure may name once the environment is known to be valid. */
function configOnce(env: Record<string, string | undefined>, failureContext: FailureContext): () => Config {
  let config: Config | undefined;
  return () => {
    config ??= loadConfig(env);
    Object.assign(failureContext, { databaseUrl: config.databaseUrl, port: config.port, host: config.host });
    return config;
  };
}

async function main(argv: string[], env: Record<string, string | undefined>, failureContext: FailureContext): Promise<number | "running"> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(MAIN_HELP);
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    console.log(version());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const suggestion = closest(name, COMMANDS.map((c) => c.name));
    throw new CliError(`unknown command ${JSON.stringify(name)}${suggestion ? `: did you mean ${suggestion}?` : ""} (see scopekeeper --help)`);
  }
  if (rest.includes("--help") || rest.includes("-h") || rest[0] === "help") {
    console.log(command.help);
    return 0;
  }
  return command.run(rest, { config: configOnce(env, failureContext) });
}

/**
 * Runs one command line and resolves to its exit code ("running" for a server that keeps the
 * process alive). Output goes to the console; every failure ends as it does for the operator:
 * one line on stderr, or the stack trace of a bug. bin/scopekeeper.js exits with the code; the
 * tests call it in process, with their own environment, instead of starting Node each time.
 */
export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number | "running"> {
  const failureContext: FailureContext = {};
  try {
    return await main(argv, env, failureContext);
  } catch (err) {
    const line = explainFailure(err, failureContext);
    console.error(line === null ? err : `scopekeeper: ${line}`);
    return 1;
  }
}
