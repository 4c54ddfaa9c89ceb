import type { Reporter, TestModule } from 'vitest/node';
import { kindOf } from './vitest.kinds.js';

/** Prints the slowest test files after the run (their tests and hooks, then their import), slowest first. */
export default class SlowestFiles implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules
      .map((m) => ({
        file: m.relativeModuleId,
        kind: kindOf(m.relativeModuleId),
        run: m.diagnostic().duration,
        load: m.diagnostic().collectDuration,
      }))
      .sort((a, b) => b.run + b.load - (a.run + a.load))
      .slice(0, 10);
    if (rows.length === 0) return;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(8);
    process.stdout.write(`\nSlowest test files (tests and hooks, then import):\n`);
    for (const r of rows) process.stdout.write(`${s(r.run)} ${s(r.load)}  ${r.file} [${r.kind}]\n`);
  }
}
