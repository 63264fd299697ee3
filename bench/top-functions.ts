// Reads a V8 .cpuprofile (node --cpu-prof) and prints the top functions by self time with
// their URL:line, a split by package/area, and the project's own functions by inclusive time.
//
//   npx tsx bench/top-functions.ts FILE.cpuprofile [--window NAME] [--top 25] [--markdown]
//
// Profiles written by `npm run bench -- --profile` carry two extra keys: `$windows` (named
// time ranges during which one kind of load ran, in the profile's own clock) and `$sourceMaps`
// (tsx's maps for the project's .ts modules, so lines refer to the TypeScript source). Without
// --window the whole profile is used. Lines are 1-based.
import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
  scriptId: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface TimeWindow {
  name: string;
  /** microseconds, same clock as the profile's startTime (CLOCK_MONOTONIC) */
  startUs: number;
  endUs: number;
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
  $windows?: TimeWindow[];
  $sourceMaps?: Record<string, SourceMapPayload>;
}

export interface Row {
  name: string;
  location: string;
  ms: number;
  pct: number;
}
export interface Analysis {
  window: string;
  wallMs: number;
  sampledMs: number;
  idleMs: number;
  busyMs: number;
  self: Row[];
  areas: Row[];
  areasInclusive: Row[];
  projectInclusive: Row[];
}

const SPECIAL = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

function relative(url: string): string {
  if (!url) return "";
  if (url.startsWith("file://")) {
    const file = fileURLToPath(url);
    const rel = path.relative(process.cwd(), file);
    return rel.startsWith("..") ? file : rel;
  }
  return url;
}

/** node_modules/<pkg>, node:internal, src/<area>, or a pseudo-frame such as (garbage collector). */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return SPECIAL.has(functionName) ? functionName : "(native / V8 builtins)";
  if (url.startsWith("node:")) return "node: core";
  const rel = relative(url);
  const nm = rel.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = rel.slice(nm + "node_modules/".length).split("/");
    return `npm: ${parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const [top, second] = rel.split("/");
  if (top === "src" && second && !second.includes(".")) return `src/${second}`;
  if (top === "generated") return "generated (Prisma client)";
  return top ?? rel;
}

function isProject(frame: CallFrame): boolean {
  const rel = relative(frame.url);
  return (rel.startsWith("src/") || rel.startsWith("plugins/")) && !rel.includes("node_modules");
}

class Locator {
  #maps = new Map<string, SourceMap | null>();
  constructor(private readonly payloads: Record<string, SourceMapPayload> = {}) {}

  locate(frame: CallFrame): string {
    const file = relative(frame.url);
    if (!file) return "";
    let line = frame.lineNumber + 1;
    const map = this.#map(frame.url);
    if (map) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalLine?: number };
      if (typeof entry.originalLine === "number") line = entry.originalLine + 1;
      // Code with no source position: helpers esbuild adds, e.g. keepNames' __name, which
      // runs each time a named closure is created.
      else return `${file} (code tsx added)`;
    } else if (/\.(c|m)?tsx?$/.test(file)) {
      // tsx's output line, not the .ts line: no source map was recorded for this module.
      return `${file}:~${line}(js)`;
    }
    return `${file}:${line}`;
  }

  #map(url: string): SourceMap | null {
    if (!this.#maps.has(url)) {
      const payload = this.payloads[url];
      this.#maps.set(url, payload ? new SourceMap(payload) : null);
    }
    return this.#maps.get(url)!;
  }
}

export function analyze(profile: CpuProfile, options: { window?: string; top?: number } = {}): Analysis {
  const top = options.top ?? 25;
  let from = -Infinity;
  let to = Infinity;
  let windowName = "whole profile";
  if (options.window) {
    const w = profile.$windows?.find((x) => x.name === options.window);
    if (!w) throw new Error(`no window ${options.window} in this profile (have: ${(profile.$windows ?? []).map((x) => x.name).join(", ") || "none"})`);
    from = w.startUs;
    to = w.endUs;
    windowName = w.name;
  }
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  // A sample lasts until the next one (the last until endTime).
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  const times: number[] = new Array(profile.samples.length);
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    times[i] = t;
  }
  let sampledUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const start = times[i]!;
    if (start < from || start >= to) continue;
    const end = i + 1 < times.length ? times[i + 1]! : profile.endTime;
    const dur = Math.max(0, end - start);
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dur);
    sampledUs += dur;
  }

  const keyOf = (f: CallFrame) => `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
  const selfByKey = new Map<string, { frame: CallFrame; us: number }>();
  const areaUs = new Map<string, number>();
  const inclusiveByKey = new Map<string, { frame: CallFrame; us: number }>();
  const areaInclusiveUs = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const f = node.callFrame;
    if (f.functionName === "(idle)" && !f.url) idleUs += us;
    const k = keyOf(f);
    const e = selfByKey.get(k) ?? { frame: f, us: 0 };
    e.us += us;
    selfByKey.set(k, e);
    const area = areaOf(f);
    areaUs.set(area, (areaUs.get(area) ?? 0) + us);
    // Inclusive time of the project's own functions: each function once per sample's stack.
    const seen = new Set<string>();
    const seenAreas = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      const ca = areaOf(cf);
      if (!seenAreas.has(ca) && ca !== "(root)") {
        seenAreas.add(ca);
        areaInclusiveUs.set(ca, (areaInclusiveUs.get(ca) ?? 0) + us);
      }
      if (!isProject(cf)) continue;
      const ck = keyOf(cf);
      if (seen.has(ck)) continue;
      seen.add(ck);
      const ie = inclusiveByKey.get(ck) ?? { frame: cf, us: 0 };
      ie.us += us;
      inclusiveByKey.set(ck, ie);
    }
  }
  const busyUs = sampledUs - idleUs;
  const locator = new Locator(profile.$sourceMaps);
  const pct = (us: number) => (busyUs > 0 ? (100 * us) / busyUs : 0);
  const name = (f: CallFrame) => f.functionName || "(anonymous)";
  const self = [...selfByKey.values()]
    .filter((e) => !(e.frame.functionName === "(idle)" && !e.frame.url))
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: name(e.frame), location: locator.locate(e.frame), ms: e.us / 1000, pct: pct(e.us) }));
  const areas = [...areaUs]
    .filter(([a]) => a !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .map(([a, us]) => ({ name: a, location: "", ms: us / 1000, pct: pct(us) }));
  const areasInclusive = [...areaInclusiveUs]
    .filter(([a]) => a !== "(idle)" && a !== "(program)" && a !== "(garbage collector)")
    .sort((a, b) => b[1] - a[1])
    .map(([a, us]) => ({ name: a, location: "", ms: us / 1000, pct: pct(us) }));
  const projectInclusive = [...inclusiveByKey.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, 15)
    .map((e) => ({ name: name(e.frame), location: locator.locate(e.frame), ms: e.us / 1000, pct: pct(e.us) }));
  const wallUs = Math.min(to, profile.endTime) - Math.max(from, profile.startTime);
  return {
    window: windowName,
    wallMs: wallUs / 1000,
    sampledMs: sampledUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    self,
    areas,
    areasInclusive,
    projectInclusive,
  };
}

const fmt = (n: number, d = 1) => n.toFixed(d);

export function formatAnalysis(a: Analysis, markdown: boolean): string {
  const lines: string[] = [];
  const head = `window: ${a.window}; ${fmt(a.wallMs / 1000, 1)} s wall, ${fmt(a.busyMs / 1000, 1)} s on-CPU in the main thread (${fmt((100 * a.busyMs) / Math.max(1, a.sampledMs), 0)}% busy); percentages are of on-CPU time`;
  if (markdown) {
    lines.push(`_${head}_`, "", "| # | self ms | self % | function | location |", "| ---: | ---: | ---: | --- | --- |");
    a.self.forEach((r, i) => lines.push(`| ${i + 1} | ${fmt(r.ms, 0)} | ${fmt(r.pct)} | \`${r.name}\` | ${r.location ? `\`${r.location}\`` : ""} |`));
    const inclusive = new Map(a.areasInclusive.map((r) => [r.name, r]));
    lines.push("", "By package / area: self time, and inclusive time (the area anywhere on the stack):", "", "| area | self ms | self % | inclusive % |", "| --- | ---: | ---: | ---: |");
    for (const r of a.areas.slice(0, 15)) {
      const inc = inclusive.get(r.name);
      lines.push(`| ${r.name} | ${fmt(r.ms, 0)} | ${fmt(r.pct)} | ${inc ? fmt(inc.pct) : ""} |`);
    }
    lines.push("", "Scopekeeper's own functions by inclusive time (self + callees):", "", "| function | location | ms | % |", "| --- | --- | ---: | ---: |");
    for (const r of a.projectInclusive) lines.push(`| \`${r.name}\` | \`${r.location}\` | ${fmt(r.ms, 0)} | ${fmt(r.pct)} |`);
  } else {
    lines.push(head, "");
    lines.push(`${"#".padStart(3)}  ${"self ms".padStart(8)}  ${"self%".padStart(6)}  function @ location`);
    a.self.forEach((r, i) =>
      lines.push(`${String(i + 1).padStart(3)}  ${fmt(r.ms, 0).padStart(8)}  ${fmt(r.pct).padStart(6)}  ${r.name}${r.location ? ` @ ${r.location}` : ""}`),
    );
    const inclusive = new Map(a.areasInclusive.map((r) => [r.name, r]));
    lines.push("", "by package / area: self %, self ms, inclusive % (area anywhere on the stack):");
    for (const r of a.areas.slice(0, 15)) {
      const inc = inclusive.get(r.name);
      lines.push(`  ${fmt(r.pct).padStart(5)}%  ${fmt(r.ms, 0).padStart(7)} ms  ${(inc ? `${fmt(inc.pct)}%` : "").padStart(6)}  ${r.name}`);
    }
    lines.push("", "Scopekeeper's own functions by inclusive time:");
    for (const r of a.projectInclusive) lines.push(`  ${fmt(r.pct).padStart(5)}%  ${fmt(r.ms, 0).padStart(7)} ms  ${r.name} @ ${r.location}`);
  }
  return lines.join("\n");
}

export function loadProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith("--") && !/^\d+$/.test(a) && args[args.indexOf(a) - 1] !== "--window");
  if (!file) {
    console.error("usage: tsx bench/top-functions.ts FILE.cpuprofile [--window NAME] [--top N] [--markdown]");
    process.exit(2);
  }
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const profile = loadProfile(file);
  const windows = opt("--window") ? [opt("--window")!] : profile.$windows?.length ? profile.$windows.map((w) => w.name) : [undefined];
  for (const w of windows) {
    console.log(formatAnalysis(analyze(profile, { ...(w ? { window: w } : {}), top: Number(opt("--top") ?? 25) }), args.includes("--markdown")));
    console.log("");
  }
}
