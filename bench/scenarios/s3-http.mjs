/**
 * Scenario 3 — HTTP throughput of an endpoint reading from two databases (SQLite + PostgreSQL).
 *
 * Two apps, each in its own child process, serve the same controller (bench/apps/): A on
 * nestjs-multidb, B on @mikro-orm/nestjs (two forRoot with contextName, registerRequestContext:
 * false, forMiddleware()). Both read the same SQLite file and PostgreSQL database. autocannon, in
 * this process, loads them on 127.0.0.1 with a fixed number of connections for a fixed duration,
 * one app per round, rounds interleaved.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { PG_DATABASES, pgUrl } from '../lib/config.mjs';
import { idAt, itemRows, itemSchema } from '../lib/entities.mjs';
import { atLeast, compareRow, interleave, progress, summarize } from '../lib/harness.mjs';
import { multiDbContext } from '../lib/nest.mjs';

export const title = 'HTTP: one endpoint, two databases';
const appsDir = fileURLToPath(new URL('../apps/', import.meta.url));
const STOP_TIMEOUT_MS = 15_000;

/** @param {import('../lib/config.mjs').BenchConfig} config */
export async function run(config) {
  const base = {
    id: '3',
    title,
    command: 'node bench/run.mjs --only 3',
    description:
      'GET /items/:id reads one row from SQLite and one from PostgreSQL (concurrently) and returns both as JSON. ' +
      'A: nestjs-multidb (MultiDbModule.setup, @InjectRepository, its request-context middleware). ' +
      'B: @mikro-orm/nestjs (MikroOrmModule.forRoot per database with contextName and registerRequestContext: false, ' +
      'MikroOrmModule.forMiddleware(), forFeature repositories). Same controller code, same data; each app in its own ' +
      'process, autocannon in a third, over 127.0.0.1.',
  };
  if (!config.pg)
    return { ...base, skipped: `no PostgreSQL server (${config.pgUnavailable ?? 'not started'})`, rows: [] };
  const sizes = config.smoke
    ? { rows: 100, connections: 10, seconds: 1, rounds: 1, warmupSeconds: 1 }
    : { rows: 1000, connections: 10, seconds: 2, rounds: 10, warmupSeconds: 3 };
  const burstSeconds = config.smoke ? 0.2 : 0.5;
  const env = { sqliteFile: join(config.tmpDir, 'http-lite.db'), pgUrl: pgUrl(config, PG_DATABASES.http) };

  // the same rows in both databases
  const PgItem = itemSchema({ name: 'PgItem' });
  const LiteItem = itemSchema({ name: 'LiteItem', database: 'lite' });
  const seeding = await multiDbContext({
    databases: { default: env.pgUrl, lite: `sqlite:///${env.sqliteFile}` },
    entities: [PgItem, LiteItem],
  });
  await seeding.db.createAll();
  await seeding.db.runInContext(async () => {
    for (const entity of [PgItem, LiteItem]) {
      await seeding.db.emFor(entity).nativeDelete(entity, {});
      await seeding.db.emFor(entity).insertMany(entity, itemRows(sizes.rows));
    }
  });
  await seeding.app.close();

  /** @type {any} */
  let result;
  /** @type {string[]} shutdown problems of the apps, reported with the results */
  const notes = [];
  const servers = {
    A: await startServer('multidb-app.mjs', env),
    B: await startServer('mikro-orm-nestjs-app.mjs', env),
  };
  try {
    const [a, b] = await Promise.all([servers.A.get('/items/7'), servers.B.get('/items/7')]);
    if (a !== b || !a.includes('"pg":{"id":7') || !a.includes('"lite":{"id":7')) {
      throw new Error(`the two apps answer differently:\n A: ${a}\n B: ${b}`);
    }
    const requests = Array.from({ length: 64 }, (_, i) => ({ method: 'GET', path: `/items/${idAt(i, sizes.rows)}` }));
    /** @type {Record<'A' | 'B', number[]>} */
    const p99 = { A: [], B: [] };
    /** @type {Record<'A' | 'B', number[]>} */
    const p50 = { A: [], B: [] };
    /**
     * @param {'A' | 'B'} side
     * @param {number} seconds
     */
    const load = async (side, seconds) => {
      await servers[side].gc();
      const result = await autocannon({
        url: `http://127.0.0.1:${servers[side].port}`,
        connections: sizes.connections,
        duration: seconds,
        requests,
      });
      const failed = result.errors + result.timeouts + result.non2xx;
      if (failed > 0) throw new Error(`${side}: ${failed} failed requests (errors, timeouts or non-2xx)`);
      return result;
    };
    progress(`3 warm-up: ${sizes.warmupSeconds} s per app`);
    await load('A', sizes.warmupSeconds);
    await load('B', sizes.warmupSeconds);
    const round = (/** @type {'A' | 'B'} */ side) => async () => {
      // a short untimed burst first: the app's pools have idled while the other app ran (node-postgres
      // closes clients idle for 10 s), so every measured round starts hot
      await load(side, burstSeconds);
      const result = await load(side, sizes.seconds);
      p50[side].push(result.latency.p50);
      p99[side].push(result.latency.p99);
      return result['2xx'] / result.duration;
    };
    const samples = await interleave(
      { A: round('A'), B: round('B') },
      { rounds: sizes.rounds, warmup: 0, label: '3 HTTP requests/s' },
    );
    const ms = (/** @type {number[]} */ xs) => `${summarize(xs).median.toFixed(1)} ms`;
    result = {
      ...base,
      rows: [
        compareRow({
          scenario: '3',
          name: 'HTTP GET reading SQLite + PostgreSQL',
          workload: 'GET /items/:id, 2 findOne by primary key (SQLite file + PostgreSQL) per request, JSON response',
          sizes: `${sizes.rows} rows per database; ${sizes.connections} connections; ${sizes.rounds} rounds × ${sizes.seconds} s per app (after a ${burstSeconds} s untimed burst)`,
          unit: 'requests/s',
          a: { label: 'nestjs-multidb', samples: samples.A },
          b: { label: '@mikro-orm/nestjs', samples: samples.B },
          ratioDefinition: 'A / B requests/s',
          goal: atLeast(1.0),
          note: `median latency p50/p99: A ${ms(p50.A)} / ${ms(p99.A)}, B ${ms(p50.B)} / ${ms(p99.B)}`,
        }),
      ],
    };
  } finally {
    for (const problem of await Promise.all([servers.A.stop(), servers.B.stop()])) if (problem) notes.push(problem);
  }
  return { ...result, notes };
}

/**
 * @param {string} appFile
 * @param {{ sqliteFile: string, pgUrl: string }} env
 */
function startServer(appFile, env) {
  // profiled (run.mjs --cpu-prof): profile the apps too, one file each
  const profDir = process.execArgv.find((a) => a.startsWith('--cpu-prof-dir='));
  const profile = profDir
    ? ['--cpu-prof', profDir, `--cpu-prof-name=s3-${appFile.replace('.mjs', '')}-\${pid}.cpuprofile`]
    : [];
  const child = fork(join(appsDir, 'serve.mjs'), [join(appsDir, appFile)], {
    execArgv: ['--expose-gc', ...profile],
    env: { ...process.env, BENCH_APP_ENV: JSON.stringify(env) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${appFile} exited with code ${code} before listening`)));
    child.once('message', (/** @type {any} */ message) => {
      const port = message.port;
      resolve({
        port,
        /** @param {string} path */
        get: async (path) => (await fetch(`http://127.0.0.1:${port}${path}`)).text(),
        gc: () =>
          new Promise((done) => {
            child.once('message', done);
            child.send('gc');
          }),
        /** @returns {Promise<string | undefined>} what went wrong, if the app did not close in time */
        stop: async () => {
          if (child.exitCode === null) child.send('stop');
          const late = Symbol('late');
          /** @type {NodeJS.Timeout | undefined} */
          let timer;
          const deadline = new Promise((resolve) => {
            timer = setTimeout(() => resolve(late), STOP_TIMEOUT_MS);
          });
          const outcome = await Promise.race([exited, deadline]);
          clearTimeout(timer);
          if (outcome !== late) return undefined;
          child.kill('SIGKILL');
          await exited;
          return (
            `${appFile}: app.close() had not finished ${STOP_TIMEOUT_MS / 1000} s after the load ended; the process was ` +
            'killed (its own diagnostic, printed during the run, lists what was still open)'
          );
        },
      });
    });
  });
}
