import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Waits end when what they wait for happens; the limit only bounds a loaded CI machine's worst case.
    expect: { poll: { timeout: 15_000 } },
  },
});
