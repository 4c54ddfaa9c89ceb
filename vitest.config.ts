import os from 'node:os';
import { defineConfig } from 'vitest/config';
import LongestFirst from './vitest.sequencer.js';

/** Files that start processes of their own (the built platform, connector, CLI, npm pack, a cluster). */
const PROCESSES = [
  'packages/platform/test/ops/process.test.ts',
  'packages/platform/test/cluster/cluster.test.ts',
  'packages/connector/test/**/*.test.ts',
  'packages/cli/test/**/*.test.ts',
  'packages/client/test/pack.test.ts',
];
/** Files that drive Chromium. */
const BROWSER = ['**/*.browser.test.ts', 'examples/webshop/test/story.test.ts'];
/** Files that need no store, server or process: pure functions and in-memory parts. */
const UNIT = [
  'packages/platform/test/infra/json-array.test.ts',
  'packages/platform/test/infra/secrets.test.ts',
  'packages/platform/test/infra/log.test.ts',
  'packages/platform/test/onboarding/captcha.test.ts',
  'packages/platform/test/solutions/formats.test.ts',
  'packages/platform/test/ops/config.test.ts',
  'packages/platform/test/events/endpoints.test.ts',
];
const ALL = ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A worker runs its files one after another without loading the platform's modules again for each (a fresh
    // worker per file cost 2-4 s of CPU each). Each file starts its own platforms, stores, servers and browsers and
    // stops them, so none sees another's state.
    isolate: false,
    // One more worker than cores (Vitest's default is one fewer): most files spend their time waiting on child
    // processes, PostgreSQL, sockets and Chromium, so a third file on two cores keeps both busy.
    maxWorkers: os.availableParallelism() + 1,
    // Waits end when what they wait for happens; the limit only bounds a loaded CI machine's worst case.
    expect: { poll: { timeout: 15_000 } },
    // typebox (684 files) and kysely (265) are loaded again by every test file's fresh process: bundled once into
    // a file each (node_modules/.vite), importing the platform in a test file takes 1.9 s instead of 2.5 s.
    deps: { optimizer: { ssr: { enabled: true, include: ['typebox', 'typebox/compile', 'kysely'] } } },
    reporters: ['default', './vitest.slowest.ts'],
    sequence: { sequencer: LongestFirst },
    // One run, four projects, scheduled together: `vitest run --project unit` (or integration, processes,
    // browser) runs one of them.
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'integration', include: ALL, exclude: [...UNIT, ...PROCESSES, ...BROWSER] } },
      { extends: true, test: { name: 'processes', include: PROCESSES } },
      { extends: true, test: { name: 'browser', include: BROWSER } },
    ],
  },
});
