// Lets `npm test` and `npm run quickstart` work straight after cloning: installs the locked
// dependencies once, when node_modules is missing, and checks the Node version MikroORM 7 needs.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nodeVersionProblem } from './node-version.mjs';

const problem = nodeVersionProblem();
if (problem) {
  console.error(problem);
  process.exit(1);
}
if (!existsSync(new URL('../node_modules/.package-lock.json', import.meta.url))) {
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
}
