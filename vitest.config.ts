import os from 'node:os';
import { defineConfig } from 'vitest/config';
import { ALL, KINDS } from './vitest.kinds.js';
import LongestFirst from './vitest.sequencer.js';

// `vitest run --project <kind>` runs one kind of file. A whole run is one project: Vitest gives each project workers
// of its own, and replaces a worker that moves to a file of another project, which loads everything again (a whole
// run of four projects started 25 workers instead of 3, for 35 s more CPU).
const oneKind = process.argv.some((a) => a === '--project' || a.startsWith('--project='));

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
    // typebox (684 files) and kysely (265) are loaded by every worker: bundled once into a file each
    // (node_modules/.vite), importing the platform takes 1.9 s instead of 2.5 s.
    deps: { optimizer: { ssr: { enabled: true, include: ['typebox', 'typebox/compile', 'kysely'] } } },
    // Stops what a file's tests started and a failed test left running (test/support/process.ts's ownChild).
    setupFiles: ['./packages/platform/test/support/reap-children.ts'],
    reporters: ['default', './vitest.slowest.ts'],
    sequence: { sequencer: LongestFirst },
    ...(oneKind
      ? { projects: Object.entries(KINDS).map(([name, files]) => ({ extends: true, test: { name, ...files } })) }
      : { include: ALL }),
  },
});
