import picomatch from 'picomatch';

/** Files that start processes of their own (the built platform, connector, CLI, npm pack, a cluster). */
const PROCESSES = [
  'packages/platform/test/ops/process.test.ts',
  'packages/platform/test/ops/bundle.test.ts',
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
  'packages/platform/test/infra/schema-compilers.test.ts',
  'packages/platform/test/onboarding/captcha.test.ts',
  'packages/platform/test/solutions/formats.test.ts',
  'packages/platform/test/ops/config.test.ts',
  'packages/platform/test/events/endpoints.test.ts',
];
export const ALL = ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'];

/** The four kinds of test file, each a Vitest project (`vitest run --project <kind>`); the rest are integration. */
export const KINDS = {
  unit: { include: UNIT },
  integration: { include: ALL, exclude: [...UNIT, ...PROCESSES, ...BROWSER] },
  processes: { include: PROCESSES },
  browser: { include: BROWSER },
};
export type Kind = keyof typeof KINDS;

const matchers = (['unit', 'processes', 'browser'] as const).map((k) => [k, picomatch(KINDS[k].include)] as const);
/** The kind of a test file, by its path from the repository's root. */
export function kindOf(relativePath: string): Kind {
  return matchers.find(([, match]) => match(relativePath))?.[0] ?? 'integration';
}
