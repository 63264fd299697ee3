// The layering of src/ (DESIGN's rooms, .dependency-cruiser.cjs) as a test: an import that runs
// back up a layer, or a cycle, fails npm test with the offending edge named.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const depcruise = path.resolve("node_modules/.bin/depcruise");

function cruise(target: string, extra: string[] = []): { status: number; output: string } {
  try {
    const output = execFileSync(depcruise, [target, "--config", ".dependency-cruiser.cjs", "--output-type", "err", ...extra], { encoding: "utf8", stdio: "pipe" });
    return { status: 0, output };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { status: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

describe("the layering of src/", () => {
  it("has no import that runs back up a layer and no cycle", () => {
    const { status, output } = cruise("src");
    expect(output).not.toMatch(/error/);
    expect(status).toBe(0);
  }, 60_000);

  it("fails on a domain module that imports a door (so the rule can fail)", () => {
    const dir = mkdtempSync(path.join(path.resolve("src/applications"), ".layering-probe-"));
    try {
      writeFileSync(path.join(dir, "probe.ts"), 'import { grants } from "../../oauth/grants/index.ts";\nexport const probe = grants;\n');
      // Only the probe's own imports matter here: not following them past one step keeps this fast.
      const { status, output } = cruise(path.relative(process.cwd(), dir), ["--max-depth", "1"]);
      expect(status).not.toBe(0);
      expect(output).toContain("layer-3-imports-upward");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
