// ESLint (flat config): typescript-eslint's type-checked rules over every package; Prettier owns formatting.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/*.d.ts',
      'data/**',
      '**/*-data/**',
      'test-artifacts/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        // Each file is type-checked with its nearest tsconfig.json, as an editor does: a package's holds its sources,
        // its test/ folder's its tests, bench/'s the benchmarks (the project service: faster than a list of them).
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Callbacks that return a promise where void is expected (event listeners, timers) are fine when they catch.
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Fastify plugins and route handlers are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      // `catch {}` says "nothing to do": a best-effort clean-up or probe that may fail.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Migrations speak to Kysely<any>: they run against the schema of their own time, not today's types.
    files: ['packages/platform/src/infra/store/migrations.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-unsafe-argument': 'off' },
  },
  {
    // Kysely's expression builder is meant to be destructured (({ eb, or, exists }) => …): its methods are bound.
    files: ['packages/platform/src/features/*/queries.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // JSON Schemas, OpenAPI and Postman documents are walked as the untyped JSON they are; the portal's keyset
    // paging helper takes any of its queries.
    files: [
      'packages/platform/src/features/reference/*.ts',
      'packages/platform/src/features/solutions/registry.ts',
      'packages/platform/src/features/portal/queries.ts',
    ],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Tests and benchmarks read JSON answers as `any` on purpose: each assertion is the type check.
    files: ['**/test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Tests hand methods to expect() and helpers, and concatenate the bytes they read.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs', '*.config.ts', 'vitest.*.ts'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { parserOptions: { projectService: false } },
  },
  prettier,
);
