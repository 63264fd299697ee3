// A vitest reporter: after the run, the ten slowest test files, each split into what it spent
// importing (the module graph, before any test) and running (its tests and hooks). The file to
// look at first when `npm test` gets slower is at the top.
import path from "node:path";
import type { Reporter, TestModule } from "vitest/node";

const SHOWN = 10;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(7);

export default class SlowestFiles implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows = testModules.map((m) => {
      const d = m.diagnostic();
      const importing = d.environmentSetupDuration + d.prepareDuration + d.setupDuration + d.collectDuration;
      return { file: path.relative(process.cwd(), m.moduleId), importing, running: d.duration, total: importing + d.duration };
    });
    if (rows.length < 2) return;
    rows.sort((a, b) => b.total - a.total);
    const all = rows.reduce((sum, r) => sum + r.total, 0);
    const lines = rows.slice(0, SHOWN).map((r) => `${seconds(r.total)}  ${seconds(r.importing)} import  ${seconds(r.running)} tests  ${r.file}`);
    process.stdout.write(
      `\nSlowest ${Math.min(SHOWN, rows.length)} of ${rows.length} test files (${seconds(all).trim()} of file time in all, spread over the workers):\n${lines.join("\n")}\n`,
    );
  }
}
