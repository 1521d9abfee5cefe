import { defineConfig } from 'vitest/config';

/** The suites that reach the database: they run once per engine. */
const databaseSuites = [
  'db/**/*.test.ts',
  'server/**/*.test.ts',
  'app/**/*.test.ts',
  'test-support/**/*.test.ts',
];

export default defineConfig({
  resolve: { alias: { '~': new URL('./app', import.meta.url).pathname } },
  test: {
    environment: 'node',
    // Integration tests share one pcscd and its vpcd reader slots; files run one at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', 'e2e/**', 'build/**', '**/*.cluster.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: databaseSuites,
          // The card path (pcscd, virtual cards) and its crash sweeps stay on the embedded engine.
          exclude: [
            'node_modules/**',
            'e2e/**',
            'build/**',
            '**/*.pcsc.test.ts',
            '**/*.cluster.test.ts',
            // Compares both engines itself.
            'db/schema-engines.test.ts',
            // Start their own PostgreSQL.
            'db/copy.test.ts',
            'db/engines/postgres-migration.test.ts',
          ],
          env: { TEST_DATABASE_ENGINE: 'postgres' },
          globalSetup: ['test-support/postgres-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Several server processes behind HAProxy, each cluster with its own PostgreSQL and Redis.
          name: 'cluster',
          include: ['**/*.cluster.test.ts'],
          exclude: ['node_modules/**', 'e2e/**', 'build/**'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
