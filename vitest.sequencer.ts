import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { kindOf, type Kind } from './vitest.kinds.js';

/**
 * Longest files first, across kinds. Run by kind, the files that start processes and browsers (the longest, and
 * mostly waiting) began only when the integration files were done, and the run ended on a tail of them.
 * Longest-first over the whole run lets the short files fill the gaps.
 *
 * A file's duration comes from Vitest's cache of the last run. On a clean clone there is none, and its kind's
 * typical duration stands in for it (processes and browsers take tens of seconds, integration files a few, unit
 * files none), larger files first within a kind.
 */
const TYPICAL_MS: Record<Kind, number> = { processes: 40_000, browser: 30_000, integration: 8_000, unit: 500 };

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const key = (f: TestSpecification) => `${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`;
    const estimate = (f: TestSpecification) =>
      cache.getFileTestResults(key(f))?.duration ?? TYPICAL_MS[kindOf(relative(this.ctx.config.root, f.moduleId))];
    const size = (f: TestSpecification) => cache.getFileStats(key(f))?.size ?? 0;
    return [...files].sort((a, b) => estimate(b) - estimate(a) || size(b) - size(a));
  }
}
