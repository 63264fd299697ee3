// The tail every focused bench shares: print its table, keep it under bench/results/, and (with
// --profile) stop the profiled server and summarise its CPU profile with bench/top-functions.ts.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stopChild, type Child } from "./procs.ts";

export async function reportRun(name: string, lines: string[], options: { quick: boolean; profiled?: { server: Child; profileDir: string } }): Promise<void> {
  console.log(lines.join("\n"));
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(path.join("bench/results", `${name}${options.quick ? "-quick" : ""}.md`), lines.join("\n"));
  if (!options.profiled) return;
  const { server, profileDir } = options.profiled;
  await stopChild(server);
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (file) console.log(execFileSync(process.execPath, ["--import", "tsx", "bench/top-functions.ts", path.join(profileDir, file), "--top", "30"], { encoding: "utf8" }));
}
