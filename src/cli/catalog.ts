// `scopekeeper catalog check|list`: load the scope catalog the way the server does, and report.
import type { AudienceSettings } from "../catalog/audiences.ts";
import { CatalogError, loadCatalog, type Catalog, type CatalogScope } from "../catalog/index.ts";

export interface CatalogCommandEnv {
  issuer: string;
  pluginsDir?: string | undefined;
  pluginModules: string[];
  audiences?: AudienceSettings | undefined;
}

/** Where output goes; tests pass their own. Each call is one or more complete lines. */
export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CommandOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

export const CATALOG_USAGE = `Usage: scopekeeper catalog <command>

Commands:
  check           Load every hub (plugins/ and SCOPEKEEPER_PLUGINS) and validate the catalog.
                  Prints "catalog ok: N hubs, M scopes", or each problem on stderr (exit 1).
  list [--json]   Print every scope: hub, scope, kinds, flags and description,
                  or the whole catalog as JSON.

Options:
  --help, -h      Show this help.

Environment:
  SCOPEKEEPER_PLUGINS       Comma-separated module specifiers of hubs published as packages.
  SCOPEKEEPER_PLUGINS_DIR   Folder of hub folders (default: plugins/ of the project).
  ISSUER                    The server's issuer URL, the audience of the built-in hub "connect".
  SCOPEKEEPER_API_BASE_URL  Every plugin hub's audience becomes <base>/<hub id>.
  SCOPEKEEPER_HUB_AUDIENCE_<HUB_ID>  One hub's audience (wins over the base URL).
`;

/** Runs `scopekeeper catalog ...` (argv after "catalog"); resolves to the exit code. */
export async function runCatalogCommand(argv: string[], env: CatalogCommandEnv, out: CommandOutput = processOutput): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    (command === undefined ? out.stderr : out.stdout)(CATALOG_USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== "check" && command !== "list") return usageError(out, `unknown command ${JSON.stringify(command)}`);

  let json = false;
  for (const arg of rest) {
    if (arg === "--help" || arg === "-h") {
      out.stdout(CATALOG_USAGE);
      return 0;
    }
    if (arg === "--json" && command === "list") json = true;
    else return usageError(out, `unknown option ${JSON.stringify(arg)} for "catalog ${command}"`);
  }

  let catalog: Catalog;
  try {
    catalog = await loadCatalog({ issuer: env.issuer, pluginsDir: env.pluginsDir, pluginModules: env.pluginModules, audiences: env.audiences });
  } catch (e) {
    if (!(e instanceof CatalogError)) throw e;
    out.stderr(e.errors.map((line) => `${line}\n`).join(""));
    out.stderr(`catalog invalid: ${e.errors.length} ${e.errors.length === 1 ? "error" : "errors"}\n`);
    return 1;
  }

  if (command === "check") {
    out.stdout(`catalog ok: ${catalog.hubs.length} hubs, ${catalog.scopes.length} scopes\n`);
  } else if (json) {
    out.stdout(`${JSON.stringify(catalogJson(catalog), null, 2)}\n`);
  } else {
    out.stdout(catalogTable(catalog));
  }
  return 0;
}

function usageError(out: CommandOutput, message: string): number {
  out.stderr(`scopekeeper catalog: ${message}\nRun "scopekeeper catalog --help" for usage.\n`);
  return 2;
}

/** The catalog as plain data (no hub <-> scope cycle), as `catalog list --json` prints it. */
export function catalogJson(catalog: Catalog) {
  return {
    hubs: catalog.hubs.map((hub) => ({
      id: hub.id,
      name: hub.name,
      description: hub.description,
      audience: hub.audience,
      builtIn: hub.builtIn,
      source: hub.source,
      scopes: hub.scopes.map((s) => ({
        name: s.name,
        description: s.description,
        consent: s.consent,
        kinds: [...s.kinds],
        onBehalfOf: s.onBehalfOf,
        adminConsentRequired: s.adminConsentRequired,
        builtIn: s.builtIn,
      })),
    })),
  };
}

function flags(scope: CatalogScope): string {
  const list = [scope.builtIn && "built-in", scope.onBehalfOf && "on-behalf-of", scope.adminConsentRequired && "admin-consent"].filter(
    (f): f is string => typeof f === "string",
  );
  return list.length > 0 ? list.join(",") : "-";
}

/** One row per scope, columns aligned; the description column is last and not padded. */
export function catalogTable(catalog: Catalog): string {
  const rows = [
    ["HUB", "SCOPE", "KINDS", "FLAGS", "DESCRIPTION"],
    ...catalog.scopes.map((s) => [s.hub.id, s.name, s.kinds.join(","), flags(s), s.description]),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]!) : cell)).join("  ").trimEnd() + "\n").join("");
}
