/**
 * Scenario 6 — resident memory per configured database.
 *
 * Each measurement is a fresh child process (this same file with `measure: n` in its config):
 * a Nest application with n in-memory SQLite keys (one small entity each) starts, serves a few
 * warm requests (runInContext + findOne on `default`), runs a full GC and reports
 * process.memoryUsage(). Sizes 1, 10 and 30, interleaved over repetitions; MiB per key is the
 * least-squares slope of RSS over the key count.
 */
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { idAt, itemRows, itemSchema } from '../lib/entities.mjs';
import { gc, progress, runScenarioInChild, summarize } from '../lib/harness.mjs';
import { multidb } from '../lib/multidb.mjs';
import { makeModule, quietNest } from '../lib/nest.mjs';

export const title = 'Resident memory per configured database';
const COUNTS = [1, 10, 30];
const MiB = 2 ** 20;

/** @param {import('../lib/config.mjs').BenchConfig & { measure?: number }} config */
export async function run(config) {
  if (config.measure) return measure(config.measure);
  const reps = config.smoke ? 1 : 5;
  /** @type {Record<number, { rss: number[], heapUsed: number[] }>} */
  const samples = Object.fromEntries(COUNTS.map((n) => [n, { rss: [], heapUsed: [] }]));
  for (let rep = 0; rep < reps; rep++) {
    for (const n of rep % 2 === 0 ? COUNTS : [...COUNTS].reverse()) {
      const usage = await measureInChild(config, n);
      samples[n].rss.push(usage.rss / MiB);
      samples[n].heapUsed.push(usage.heapUsed / MiB);
    }
    progress(
      `6 rss MiB, repetition ${rep + 1}/${reps}: ${COUNTS.map((n) => `${n}=${samples[n].rss[rep].toFixed(1)}`).join(' ')}`,
    );
  }

  const slope = (/** @type {'rss' | 'heapUsed'} */ what) =>
    leastSquaresSlope(COUNTS.flatMap((n) => samples[n][what].map((y) => [n, y])));
  const one = summarize(samples[1].rss);
  /** @type {import('../lib/harness.mjs').Row[]} */
  const rows = COUNTS.map((n) => {
    const st = summarize(samples[n].rss);
    const heap = summarize(samples[n].heapUsed);
    return {
      scenario: '6',
      name: `${n} in-memory SQLite key${n === 1 ? '' : 's'}`,
      workload: 'RSS after start-up (NestFactory.create + init) and 20 warm requests, after a full GC, fresh process',
      sizes: `${n} key${n === 1 ? '' : 's'}; ${reps} processes`,
      unit: 'MiB',
      a: { label: `${n} key${n === 1 ? '' : 's'} RSS`, stats: st },
      b: n === 1 ? null : { label: '1 key RSS', stats: one },
      ratio: null,
      ...(n === 1
        ? {}
        : {
            value: {
              number: (st.median - one.median) / (n - 1),
              unit: 'MiB/key',
              detail: `(median RSS(${n}) − median RSS(1)) / ${n - 1}; heap used ${heap.median.toFixed(1)} MiB`,
            },
          }),
      goal: null,
      met: null,
    };
  });
  rows.push({
    scenario: '6',
    name: 'MiB per additional key (slope)',
    workload: 'least-squares slope of RSS over 1, 10, 30 keys, all processes',
    sizes: `${reps} processes per size`,
    unit: 'MiB/key',
    a: null,
    b: null,
    ratio: null,
    value: {
      number: slope('rss'),
      unit: 'MiB/key',
      detail: `RSS slope; JS heap used: ${slope('heapUsed').toFixed(2)} MiB/key`,
    },
    goal: null,
    met: null,
  });
  progress('6: done');
  return {
    id: '6',
    title,
    command: 'node bench/run.mjs --only 6',
    description:
      'process.memoryUsage().rss of a fresh process holding a Nest application with 1, 10 or 30 in-memory SQLite keys ' +
      '(one entity each, tables created), after start-up and 20 warm requests on `default`, after a full GC. ' +
      'Reported only: MiB per additional configured database.',
    rows,
  };
}

/** @param {number[][]} points [x, y] */
function leastSquaresSlope(points) {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

/**
 * @param {import('../lib/config.mjs').BenchConfig} config
 * @param {number} n
 * @returns {Promise<NodeJS.MemoryUsage>}
 */
function measureInChild(config, n) {
  return runScenarioInChild(fileURLToPath(import.meta.url), config, { measure: n }, `memory child (${n} keys)`);
}

/** In the child: start, warm up, GC, measure. @param {number} n */
async function measure(n) {
  const item = itemSchema();
  const databases = /** @type {Record<string, string>} */ ({ default: 'sqlite://' });
  const entities = [item];
  for (let k = 1; k < n; k++) {
    databases[`db${k}`] = 'sqlite://';
    entities.push(itemSchema({ name: `Item${k}`, database: `db${k}` }));
  }
  const app = await NestFactory.create(
    makeModule('MemoryApp', { imports: [multidb.MultiDbModule.setup({ databases, entities })] }),
    quietNest,
  );
  await app.init();
  const db = app.get(multidb.DbService);
  await db.createAll();
  await db.runInContext(() => db.em().insertMany(item, itemRows(100)));
  for (let i = 0; i < 20; i++) await db.runInContext(() => db.getRepository(item).findOne({ id: idAt(i, 100) }));
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const usage = process.memoryUsage();
  await app.close();
  return usage;
}
