// `node scripts/ensure-deps.mjs <npm script> [args...]`: what `npm test`, `npm run demo` and
// `npm run quickstart` start with, so that they work straight after cloning, on any machine.
// 1. Node older than 22.17 (MikroORM 7, better-sqlite3 13): says so in one line, fetches Node 24
//    from the npm registry into a cache folder (once) and re-runs this whole command under it,
//    PATH prefixed, so that npm and every step of the npm script run on Node 24 too.
//    NODE_BOOTSTRAP=0 turns that off (then it stops with the reason instead).
// 2. Installs the locked dependencies once, when node_modules is missing (on the right Node, so
//    that native modules match it).
// 3. Runs `npm run <npm script> -- [args...]` and exits with its code.
// Written for old Nodes too: nothing newer than Node 14's ESM.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BOOTSTRAP_NODE,
  BOOTSTRAPPED_ENV,
  bootstrapDir,
  bootstrapDisabled,
  nodeVersionProblem,
} from './node-version.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const [script, ...args] = process.argv.slice(2);
const windows = process.platform === 'win32';

/**
 * Runs a command with inherited stdio; resolves to its exit code (128 + signal number when killed).
 * SIGINT, SIGTERM and SIGHUP sent to this process go on to the command (a server stops with it).
 */
function run(command, commandArgs, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { stdio: 'inherit', cwd: root, shell: windows, ...options });
    const forward = (signal) => child.kill(signal);
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const signal of signals) process.on(signal, forward);
    child.on('error', (error) => {
      console.error(`nestjs-multidb: could not run ${command}: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      for (const name of signals) process.off(name, forward);
      resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 1) : 1));
    });
  });
}

const problem = nodeVersionProblem();
if (problem) {
  if (bootstrapDisabled() || process.env[BOOTSTRAPPED_ENV]) {
    const why = process.env[BOOTSTRAPPED_ENV]
      ? ` (the Node bootstrapped into ${process.env[BOOTSTRAPPED_ENV]}: delete that folder to fetch it again)`
      : ' (NODE_BOOTSTRAP=0 is set, so no Node 24 is fetched)';
    console.error(problem + why);
    process.exit(1);
  }
  const dir = bootstrapDir();
  const bin = join(dir, 'node_modules', '.bin');
  const node = join(bin, windows ? 'node.cmd' : 'node');
  const fetched = existsSync(node);
  console.error(
    `nestjs-multidb: Node v${process.versions.node} is older than 22.17; ` +
      `${fetched ? 'using' : `fetching ${BOOTSTRAP_NODE} from the npm registry into`} ${dir} and going on under it ` +
      '(NODE_BOOTSTRAP=0 turns this off, NODE_BOOTSTRAP_DIR moves it)',
  );
  if (!fetched) {
    const code = await run('npm', [
      'install',
      '--prefix',
      dir,
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      BOOTSTRAP_NODE,
    ]);
    if (code !== 0 || !existsSync(node)) {
      console.error(`nestjs-multidb: could not install ${BOOTSTRAP_NODE} into ${dir}; put Node >= 22.17 first on PATH`);
      process.exit(code || 1);
    }
  }
  const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, [BOOTSTRAPPED_ENV]: dir };
  process.exit(await run(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { env, shell: false }));
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  const code = await run('npm', ['ci', '--no-audit', '--no-fund']);
  if (code !== 0) process.exit(code);
}
if (script) process.exit(await run('npm', ['run', script, ...(args.length > 0 ? ['--', ...args] : [])]));
