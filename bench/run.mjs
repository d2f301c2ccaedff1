#!/usr/bin/env node
/**
 * nestjs-multidb benchmarks: runs every scenario, each in a child process of its own, and writes
 * bench/results/latest.{json,md,svg} (a smoke run: bench/results/smoke.json).
 *
 *   node bench/run.mjs              full run (a few minutes on 2 cores)
 *   node bench/run.mjs --smoke      tiny sizes, < ~60 s: keeps the bench from rotting (CI)
 *   node bench/run.mjs --only 2,4   some scenarios (writes partial.*, not latest.*)
 *   node bench/run.mjs --only 2 --cpu-prof   profiles the scenario processes (and scenario 3's apps)
 *                                   and prints where the time goes (bench/results/tmp/cpu-prof/);
 *                                   forced GCs are off then, so take its figures as indicative only
 *   BENCH_MULTIDB_ROOT=/other/checkout node bench/run.mjs …   benchmarks another build of the
 *                                   package (its dist/), e.g. the previous commit, for a before/after
 *   node bench/run.mjs --no-pg      without the throwaway PostgreSQL server (its parts are skipped)
 *
 * Needs the built package (npm run build) and, for the PostgreSQL parts, the server binaries
 * (Debian: apt-get install -y postgresql); one throwaway server serves the whole run.
 */
import { fork, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PG_DATABASES } from './lib/config.mjs';
import { summarizeProfile } from './lib/profile-summary.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoDir = dirname(benchDir);
const resultsDir = join(benchDir, 'results');

/** The scenarios, in run order; `postgres`: it needs the run's throwaway PostgreSQL server. */
const SCENARIOS = [
  { id: '1', file: 's1-repository.mjs', postgres: true },
  { id: '2', file: 's2-many-databases.mjs' },
  { id: '3', file: 's3-http.mjs', postgres: true },
  { id: '3b', file: 's3b-http-ten-databases.mjs', postgres: true },
  { id: '4', file: 's4-startup.mjs', postgres: true },
  { id: '5', file: 's5-schema-migrations.mjs' },
  { id: '6', file: 's6-memory.mjs' },
  { id: '7', file: 's7-tenants.mjs' },
  { id: '8', file: 's8-transactions.mjs', postgres: true },
  { id: '9', file: 's9-tenant-open.mjs' },
  { id: '10', file: 's10-schema-tenants.mjs', postgres: true },
  { id: '11', file: 's11-host-list.mjs', postgres: true },
];

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'no-pg': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  const doc = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    .split('*/')[0]
    .split('\n')
    .slice(2);
  console.log(doc.map((line) => line.replace(/^ \* ?/, '')).join('\n'));
  process.exit(0);
}

const only = args.only ? args.only.split(',').map((s) => s.trim()) : null;
const selected = only ? SCENARIOS.filter((s) => only.includes(s.id)) : SCENARIOS;
if (selected.length === 0) {
  console.error(`--only ${args.only}: no such scenario (${SCENARIOS.map((s) => s.id).join(', ')})`);
  process.exit(2);
}
const kind = args.smoke ? 'smoke' : only ? 'partial' : 'full';

if (!existsSync(join(repoDir, 'dist', 'index.js')) && !process.env.BENCH_MULTIDB_ROOT) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(2);
}

const { testing, packageUnderTest } = await import('./lib/multidb.mjs');
const { markdown, markdownTable, svgChart } = await import('./lib/report.mjs');

const startedAt = new Date();
const began = performance.now();
const machine = machineInfo();
const build = buildInfo();
const tmpDir = mkdtempSync(join(os.tmpdir(), 'nestjs-multidb-bench-'));
const profDir = join(resultsDir, 'tmp', 'cpu-prof');

/** @type {import('./lib/report.mjs').ScenarioResult[]} */
const scenarios = [];
let pg;
try {
  const needsPg = selected.some((s) => s.postgres) && !args['no-pg'];
  let pgUnavailable = args['no-pg'] ? 'run with --no-pg' : undefined;
  if (needsPg) pg = await startPostgresOrSkip((reason) => (pgUnavailable = reason));
  if (pg) machine.postgres = await pg.query('show server_version');

  /** @type {import('./lib/config.mjs').BenchConfig} */
  const config = {
    smoke: args.smoke,
    tmpDir,
    benchDir,
    pg: pg ? { urlTemplate: pg.url('__DATABASE__') } : null,
    pgUnavailable,
  };
  if (args['cpu-prof']) {
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
  }
  for (const scenario of selected) {
    console.error(`\n▶ scenario ${scenario.id} (${scenario.file})`);
    const begin = performance.now();
    const result = await runScenario(scenario, config);
    result.seconds = (performance.now() - begin) / 1000;
    scenarios.push(result);
    console.error(`  ${result.error ? 'FAILED' : 'done'} in ${result.seconds.toFixed(1)} s`);
  }
} finally {
  await pg?.destroy();
  rmSync(tmpDir, { recursive: true, force: true });
}

machine.loadAfter = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
/** @type {import('./lib/report.mjs').Results} */
const results = {
  kind,
  machine,
  build,
  startedAt: startedAt.toISOString(),
  seconds: (performance.now() - began) / 1000,
  scenarios,
};

mkdirSync(resultsDir, { recursive: true });
const name = kind === 'smoke' ? 'smoke' : kind === 'partial' ? 'partial' : 'latest';
writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
const written = [`${name}.json`];
if (kind !== 'smoke') {
  writeFileSync(join(resultsDir, `${name}.md`), markdown(results));
  writeFileSync(join(resultsDir, `${name}.svg`), svgChart(results));
  written.push(`${name}.md`, `${name}.svg`);
}
console.log(`\n${markdownTable(results)}\n`);
console.log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}`);
console.log(
  `written: ${written.map((f) => relative(process.cwd(), join(resultsDir, f))).join(', ')} (${Math.round(results.seconds)} s)`,
);

if (args['cpu-prof']) {
  for (const file of readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'))) {
    console.log(`\n${summarizeProfile(join(profDir, file), { top: 15, inclusiveTop: 25 })}`);
  }
}

const failed = scenarios.filter((s) => s.error);
if (failed.length > 0) {
  console.error(`\n${failed.length} scenario(s) failed: ${failed.map((s) => s.id).join(', ')}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------

/**
 * @param {{ id: string, file: string }} scenario
 * @param {import('./lib/config.mjs').BenchConfig} config
 * @returns {Promise<import('./lib/report.mjs').ScenarioResult>}
 */
function runScenario(scenario, config) {
  // profiling runs without the forced GCs between rounds, which would otherwise dominate the profile
  const execArgv = args['cpu-prof']
    ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=s${scenario.id}-\${pid}.cpuprofile`]
    : ['--expose-gc'];
  const child = fork(join(benchDir, 'lib', 'child.mjs'), [join(benchDir, 'scenarios', scenario.file)], {
    execArgv,
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const failure = (/** @type {string} */ error) => ({
    id: scenario.id,
    title: scenario.file,
    command: `node bench/run.mjs --only ${scenario.id}`,
    description: '',
    rows: [],
    error,
  });
  return new Promise((resolve) => {
    /** @type {any} */
    let message;
    child.on('message', (m) => {
      message = m;
    });
    child.once('exit', (code, signal) => {
      if (message?.result) resolve(message.result);
      else
        resolve(
          failure(message?.error ?? `the scenario process exited (${signal ?? `code ${code}`}) without a result`),
        );
    });
  });
}

/** @param {(reason: string) => void} skipped */
async function startPostgresOrSkip(skipped) {
  try {
    const server = await testing.startPostgres();
    const names = [
      PG_DATABASES.repository,
      PG_DATABASES.http,
      ...Array.from({ length: 10 }, (_, i) => PG_DATABASES.startup(i)),
      PG_DATABASES.transactionsA,
      PG_DATABASES.transactionsB,
      PG_DATABASES.hostList,
    ];
    for (const db of names) await server.createDatabase(db);
    return server;
  } catch (error) {
    if (error instanceof testing.MissingServerBinaryError) {
      console.error(`PostgreSQL parts skipped: ${error.message}`);
      skipped(error.message);
      return undefined;
    }
    throw error;
  }
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    release: os.release(),
    node: process.version,
    date: new Date().toISOString(),
    loadBefore: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    /** @type {string | undefined} */
    loadAfter: undefined,
    /** @type {string | undefined} */
    postgres: undefined,
  };
}

/** What was measured: git state, the built dist/ and the versions of the compared packages. */
function buildInfo() {
  const root = process.env.BENCH_MULTIDB_ROOT ?? repoDir;
  const git = (/** @type {string[]} */ argv) => {
    try {
      return execFileSync('git', argv, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const dist = join(root, 'dist');
  const hash = createHash('sha256');
  let newest = 0;
  const walk = (/** @type {string} */ dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.js')) {
        hash.update(relative(dist, file)).update(readFileSync(file));
        newest = Math.max(newest, statSync(file).mtimeMs);
      }
    }
  };
  walk(dist);
  const version = (/** @type {string} */ pkg) => {
    try {
      return JSON.parse(readFileSync(join(repoDir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    } catch {
      return 'not installed';
    }
  };
  const dirty = git(['status', '--porcelain', '--', 'src'])
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
  return {
    command: `node bench/run.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    packageUnderTest,
    gitHead:
      git(['rev-parse', '--show-toplevel']) === root
        ? `${git(['rev-parse', '--short', 'HEAD'])} (${git(['log', '-1', '--format=%s'])})`
        : '(not a git checkout)',
    gitDirty: dirty.length ? dirty.join(', ') : '',
    distFingerprint: hash.digest('hex').slice(0, 12),
    distBuiltAt: new Date(newest).toISOString(),
    mikroOrm: version('@mikro-orm/core'),
    mikroOrmNestjs: version('@mikro-orm/nestjs'),
    nestCore: version('@nestjs/core'),
    autocannon: version('autocannon'),
  };
}
