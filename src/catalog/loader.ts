// Finds and imports scope plugins: every folder of the plugins directory, and every module
// named in SCOPEKEEPER_PLUGINS. Problems are collected, never thrown one by one, and reported
// together with the validation errors as a single CatalogError.
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CODE_ROOT, PACKAGE_ROOT } from "../package-root.ts";
import { applyAudiences, type AudienceSettings } from "./audiences.ts";
import { isHubDefinition } from "./brand.ts";
import type { HubDefinition } from "./public.ts";
import { assembleCatalog, notAHub, type Catalog, type LoadedHub } from "./registry.ts";

/** The package folder (where package.json lives): relative plugin paths start here. */
export const PROJECT_ROOT = PACKAGE_ROOT;

/** Where the hubs shipped with the server live: plugins/, compiled into dist/plugins/ with the server. */
export const DEFAULT_PLUGINS_DIR = join(CODE_ROOT, "plugins");

/**
 * Entry files of a plugin folder, in order of preference. The compiled server runs
 * JavaScript only (Node does not load TypeScript), so a hub added at run time is built first;
 * the TypeScript entries serve the sources run through tsx (tests, development).
 */
const RUNNING_SOURCES = import.meta.url.endsWith(".ts");
const FOLDER_ENTRIES = RUNNING_SOURCES ? ["index.ts", "index.mts", "index.js", "index.mjs"] : ["index.js", "index.mjs"];

/** Export conditions honoured when a module specifier is a package folder (as Node's import). */
const CONDITIONS = ["import", "module-sync", "node", "default"];

export interface LoadCatalogOptions {
  /** The server's issuer URL: the audience of the built-in hub "connect". */
  issuer: string;
  /** Folder whose sub-folders are hubs; default `<project root>/plugins`. Relative paths resolve from the project root. */
  pluginsDir?: string | undefined;
  /**
   * Modules that default-export a hub (SCOPEKEEPER_PLUGINS). Package names resolve from the
   * project root's node_modules; "./x", "../x" from the project root; absolute paths and
   * file: URLs as they are. A path may name a file or a package folder (its package.json).
   */
  pluginModules?: readonly string[] | undefined;
  /** The deployment's audiences, overriding the plugins' defaults (see audiences.ts). */
  audiences?: AudienceSettings | undefined;
}

type Loaded = { hub: LoadedHub } | { error: string };

/** Loads, validates and freezes the catalog; throws CatalogError listing every problem. */
export async function loadCatalog(opts: LoadCatalogOptions): Promise<Catalog> {
  const errors: string[] = [];
  const results: Loaded[] = [];

  const explicitDir = opts.pluginsDir !== undefined && opts.pluginsDir !== "";
  const dir = explicitDir ? resolve(PROJECT_ROOT, opts.pluginsDir!) : DEFAULT_PLUGINS_DIR;
  const folders = await listPluginFolders(dir, explicitDir, errors);
  results.push(...(await Promise.all(folders.map(loadFolder))));
  results.push(...(await Promise.all((opts.pluginModules ?? []).map(loadModule))));

  const hubs: LoadedHub[] = [];
  for (const r of results) {
    if ("error" in r) errors.push(r.error);
    else hubs.push(r.hub);
  }
  const configured = applyAudiences(hubs, opts.audiences, opts.issuer);
  return assembleCatalog(opts.issuer, configured.hubs, [...errors, ...configured.errors]);
}

/** How a path appears in messages and in CatalogHub.source: relative to the project root when inside it. */
export function displayPath(path: string): string {
  const rel = relative(PROJECT_ROOT, path);
  if (rel === "") return ".";
  if (rel.startsWith("..") || isAbsolute(rel)) return path;
  return rel.split(sep).join("/");
}

async function listPluginFolders(dir: string, explicit: boolean, errors: string[]): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    // The default folder may be absent (a deployment with package hubs only); a folder
    // someone configured must exist.
    const code = (e as NodeJS.ErrnoException).code;
    if (!explicit && code === "ENOENT") return [];
    errors.push(
      code === "ENOENT" || code === "ENOTDIR"
        ? `${displayPath(dir)}: the plugins folder does not exist`
        : `${displayPath(dir)}: cannot read the plugins folder: ${oneLine(e)}`,
    );
    return [];
  }
  const folders: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory() === true);
    if (isDir) folders.push(path);
  }
  return folders.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function loadFolder(folder: string): Promise<Loaded> {
  const source = displayPath(folder);
  const entry = FOLDER_ENTRIES.map((f) => join(folder, f)).find((f) => existsSync(f));
  if (entry === undefined) {
    if (RUNNING_SOURCES) return { error: `${source}: has no index.ts (a hub folder default-exports defineHub({ ... }) from index.ts)` };
    const uncompiled = existsSync(join(folder, "index.ts"));
    return {
      error: uncompiled
        ? `${source}: has index.ts but no index.js: the server runs JavaScript, so compile the hub first (tsc; see docs/plugins.md)`
        : `${source}: has no index.js (a hub folder default-exports defineHub({ ... }) from index.js)`,
    };
  }
  return importPlugin(pathToFileURL(entry).href, source);
}

async function loadModule(specifier: string): Promise<Loaded> {
  const source = specifier;
  let url: string;
  if (specifier.startsWith("file:") || isPathLike(specifier)) {
    let path: string;
    try {
      path = specifier.startsWith("file:") ? fileURLToPath(specifier) : resolve(PROJECT_ROOT, specifier);
    } catch (e) {
      return { error: `${source}: cannot be resolved: ${oneLine(e)}` };
    }
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) return { error: `${source}: cannot be resolved: there is no file or folder ${displayPath(path)}` };
    if (info.isDirectory()) {
      const entry = await packageEntry(path);
      if (entry === undefined) {
        return { error: `${source}: cannot be resolved: the folder ${displayPath(path)} has no entry point (package.json "exports" or "main", or an index.ts)` };
      }
      path = entry;
    }
    url = pathToFileURL(path).href;
  } else {
    try {
      url = resolveBare(specifier);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return {
        error:
          code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND"
            ? `${source}: cannot be resolved from the project root (is the package installed?)`
            : `${source}: cannot be resolved: ${oneLine(e)}`,
      };
    }
  }
  return importPlugin(url, source);
}

async function importPlugin(url: string, source: string): Promise<Loaded> {
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    return { error: `${source}: failed to load: ${oneLine(e)}` };
  }
  let value = module.default;
  // A CommonJS build of a package: module.exports = { default: hub, __esModule: true }.
  if (!isHubDefinition(value) && typeof value === "object" && value !== null && isHubDefinition((value as { default?: unknown }).default)) {
    value = (value as { default?: unknown }).default;
  }
  if (isHubDefinition(value)) return { hub: { definition: value as HubDefinition, source } };
  const id = typeof value === "object" && value !== null ? (value as { id?: unknown }).id : undefined;
  const label = typeof id === "string" && id !== "" ? `${source} (hub ${JSON.stringify(id)})` : source;
  return { error: `${label}: ${notAHub(value)}` };
}

function isPathLike(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier === ".." || isAbsolute(specifier);
}

/** A package name (or name/subpath) as an import in this project would see it. */
function resolveBare(specifier: string): string {
  // This module lives in the project, so the lookup walks node_modules from the project root
  // up, and also finds the project's own package ("scopekeeper/...") by self-reference.
  if (typeof import.meta.resolve === "function") return import.meta.resolve(specifier);
  return pathToFileURL(createRequire(join(PROJECT_ROOT, "package.json")).resolve(specifier)).href;
}

/** The file a package folder's "." stands for: exports (import conditions), main, or index. */
async function packageEntry(dir: string): Promise<string | undefined> {
  let pkg: { exports?: unknown; main?: unknown } | undefined;
  try {
    pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { exports?: unknown; main?: unknown };
  } catch {
    pkg = undefined;
  }
  const candidates: string[] = [];
  if (pkg?.exports !== undefined) {
    const target = exportTarget(pkg.exports, true);
    if (target === undefined) return undefined; // exports given but no "." for import
    candidates.push(target);
  } else {
    if (typeof pkg?.main === "string") candidates.push(pkg.main);
    candidates.push(...FOLDER_ENTRIES);
  }
  for (const c of candidates) {
    const path = resolve(dir, c);
    if ((await stat(path).catch(() => undefined))?.isFile()) return path;
  }
  return undefined;
}

function exportTarget(exports: unknown, top: boolean): string | undefined {
  if (typeof exports === "string") return exports;
  if (Array.isArray(exports)) {
    for (const e of exports) {
      const t = exportTarget(e, top);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (typeof exports !== "object" || exports === null) return undefined;
  const map = exports as Record<string, unknown>;
  const keys = Object.keys(map);
  if (top && keys.some((k) => k.startsWith("."))) return exportTarget(map["."], false);
  for (const key of keys) {
    if (CONDITIONS.includes(key)) {
      const t = exportTarget(map[key], false);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\s*\n\s*/g, " ").trim();
}
