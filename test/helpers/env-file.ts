// An environment file as systemd's EnvironmentFile= reads the simple ones: KEY=VALUE lines,
// blank lines and # comments (docs/scopekeeper.env).
import { readFileSync } from "node:fs";

export function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}
