import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { nodeVersionProblem } from './scripts/node-version.mjs';

// on a Node without Node-API 10 every worker that opens SQLite dies with SIGSEGV: say why instead
const problem = nodeVersionProblem();
if (problem) throw new Error(problem);

const alias = {
  'nestjs-multidb/testing': fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)),
  'nestjs-multidb/health': fileURLToPath(new URL('./src/health/index.ts', import.meta.url)),
  'nestjs-multidb/metrics': fileURLToPath(new URL('./src/metrics/index.ts', import.meta.url)),
  'nestjs-multidb': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
};

export default defineConfig({
  // tests use the public surface, by the package's own name
  resolve: { alias },
  test: {
    setupFiles: ['reflect-metadata'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // the JSON file gives .ci/run its closing "N passed, N failed" line
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    projects: [
      // unit tests, the README's examples and the sample app's fast suite: no servers
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'examples/**/*.test.ts', 'sample-app/test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts', 'test/harness/**/*.test.ts'],
          // one PostgreSQL and one MariaDB server for the whole run, started from local binaries
          globalSetup: ['test/e2e/global-setup.ts'],
          // MikroORM debug logging on everywhere, every line checked for passwords after each test
          setupFiles: ['reflect-metadata', 'test/e2e/secrets-sweep.setup.ts'],
        },
      },
    ],
  },
});
