/**
 * Scenarios 3 and 3b — the same endpoint, reading from two databases (SQLite + PostgreSQL), on
 * nestjs-multidb (A) and @mikro-orm/nestjs (B), with 2 (scenario 3) or 10 (3b) databases configured.
 *
 * Each app runs in its own child process (lib/http-servers.mjs). autocannon, in the scenario
 * process, sends a fixed number of requests per turn over a fixed number of connections; in each
 * round the apps take turns (A B | B A …), and each round gives one sample per app. The verdict is the **server's own CPU time per
 * request** (`process.cpuUsage()` read inside the app process before and after the round's
 * requests): on a small machine requests/s is bound by the load generator, which shares the cores
 * with the server, so it is reported next to it but settles nothing.
 */
import { join } from 'node:path';
import autocannon from 'autocannon';
import { PG_DATABASES, pgUrl } from './config.mjs';
import { idAt, itemRows, itemSchema } from './entities.mjs';
import { atMost, compareRow, gc, progress, summarize } from './harness.mjs';
import { startServer, serverCpuPerRequest } from './http-servers.mjs';
import { multiDbContext } from './nest.mjs';

/**
 * @param {import('./config.mjs').BenchConfig} config
 * @param {{ id: string, title: string, databases: number, goal: number, control?: boolean }} spec `databases`: how many
 *   are configured (≥ 2; the request touches 2); `control`: also run A in a second process (A′), whose
 *   ratio to A, in the same rounds, is the resolution of the measure (an A/A control)
 */
export async function runHttpComparison(config, spec) {
  const extras = spec.databases - 2;
  const configured =
    extras > 0
      ? `${spec.databases} databases configured (the two it reads + ${extras} SQLite files it never touches)`
      : 'two databases configured';
  const base = {
    id: spec.id,
    title: spec.title,
    command: `node bench/run.mjs --only ${spec.id}`,
    description:
      `GET /items/:id reads one row from SQLite and one from PostgreSQL (concurrently) and returns both as JSON; ${configured}. ` +
      'A: nestjs-multidb (MultiDbModule.setup, @InjectRepository, its request-context middleware). ' +
      'B: @mikro-orm/nestjs (MikroOrmModule.forRoot per database with contextName and registerRequestContext: false, ' +
      'MikroOrmModule.forMiddleware(), forFeature repositories). Same controller code, same data; each app in its own ' +
      'process, autocannon in a third, over 127.0.0.1. Verdict: the server process’s own CPU time (user + system, ' +
      'process.cpuUsage() read inside it around a fixed number of requests) per request; requests/s is reported too ' +
      'but is bound by the load generator on a small machine (it shares the cores with the server).',
  };
  if (!config.pg)
    return { ...base, skipped: `no PostgreSQL server (${config.pgUnavailable ?? 'not started'})`, rows: [] };
  const sizes = config.smoke
    ? { rows: 100, connections: 10, turn: 150, turns: 2, rounds: 2, warmupSeconds: 1 }
    : { rows: 1000, connections: 10, turn: 500, turns: 6, rounds: 12, warmupSeconds: 3 };
  const burstSeconds = config.smoke ? 0.2 : 0.5;
  const extraSqliteFiles = Array.from({ length: extras }, (_, i) => join(config.tmpDir, `http-extra-${i}.db`));
  const env = {
    sqliteFile: join(config.tmpDir, 'http-lite.db'),
    pgUrl: pgUrl(config, PG_DATABASES.http),
    extraSqliteFiles,
  };

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
  const tag = spec.id.replace('3', '');
  /** @type {Record<string, import('./http-servers.mjs').AppServer>} the apps started so far (all stopped below) */
  const servers = {};
  try {
    servers.A = await startServer('multidb-app.mjs', env, { tag });
    servers.B = await startServer('mikro-orm-nestjs-app.mjs', env, { tag });
    if (spec.control) servers.C = await startServer('multidb-app.mjs', env, { tag: `${tag}-control` });
    /** The apps, in turn order: A, B and, with a control, A′ (C). */
    const sides = /** @type {('A' | 'B' | 'C')[]} */ (Object.keys(servers));
    const [a, b] = await Promise.all([servers.A.get('/items/7'), servers.B.get('/items/7')]);
    if (a !== b || !a.includes('"pg":{"id":7') || !a.includes('"lite":{"id":7')) {
      throw new Error(`the two apps answer differently:\n A: ${a}\n B: ${b}`);
    }
    const requests = Array.from({ length: 64 }, (_, i) => ({ method: 'GET', path: `/items/${idAt(i, sizes.rows)}` }));
    /** @type {Record<string, number[]>} */
    const perSecond = { A: [], B: [], C: [] };
    /** @type {Record<string, number[]>} */
    const p50 = { A: [], B: [], C: [] };
    /**
     * @param {'A' | 'B' | 'C'} side
     * @param {{ seconds?: number, amount?: number }} size
     */
    const load = async (side, size) => {
      const result = await autocannon({
        url: `http://127.0.0.1:${servers[side].port}`,
        connections: sizes.connections,
        ...(size.amount ? { amount: size.amount } : { duration: size.seconds }),
        requests,
      });
      const failed = result.errors + result.timeouts + result.non2xx;
      if (failed > 0) throw new Error(`${side}: ${failed} failed requests (errors, timeouts or non-2xx)`);
      return result;
    };
    progress(`${spec.id} warm-up: ${sizes.warmupSeconds} s per app`);
    for (const side of sides) await load(side, { seconds: sizes.warmupSeconds });
    /** @type {Record<string, number[]>} */
    const samples = { A: [], B: [], C: [] };
    for (let round = 0; round < sizes.rounds; round++) {
      // a short untimed burst first: the app's pools have idled while the other app ran (node-postgres
      // closes clients idle for 10 s), so every measured round starts hot
      gc(); // the load generator's own garbage
      for (const side of sides) {
        // requests/s come from this burst, which runs for a set time: a turn of a set number of
        // requests ends on autocannon's one-second ticker, so its duration says nothing of the app
        const burst = await load(side, { seconds: burstSeconds });
        perSecond[side].push(burst.requests.total / burst.duration);
        await servers[side].gc();
      }
      // within the round the apps take turns of `turn` requests (A B | B A …): the virtual CPUs of a
      // shared machine change speed within seconds, and short turns let both apps see the same machine
      const cpu = { A: 0, B: 0, C: 0 };
      for (let t = 0; t < sizes.turns; t++) {
        for (const side of (t + round) % 2 === 0 ? sides : [...sides].reverse()) {
          const { cpuPerRequest, result } = await serverCpuPerRequest(servers[side], sizes.turn, () =>
            load(side, { amount: sizes.turn }),
          );
          cpu[side] += cpuPerRequest / sizes.turns;
          if (t === 0) p50[side].push(result.latency.p50);
        }
      }
      for (const side of sides) samples[side].push(cpu[side]);
      progress(
        `${spec.id} server CPU µs per request: round ${round + 1}/${sizes.rounds} A=${cpu.A.toFixed(0)} B=${cpu.B.toFixed(0)}` +
          (spec.control ? ` A′=${cpu.C.toFixed(0)}` : ''),
      );
    }
    const ms = (/** @type {number[]} */ xs) => `${summarize(xs).median.toFixed(1)} ms`;
    const common = {
      scenario: spec.id,
      workload: `GET /items/:id, 2 findOne by primary key (SQLite file + PostgreSQL) per request, JSON response; ${configured}`,
      sizes: `${sizes.rows} rows per database; ${sizes.connections} connections; ${sizes.rounds} rounds × ${sizes.turns} turns of ${sizes.turn} requests per app, apps alternating turn by turn (after a ${burstSeconds} s burst per round, which gives requests/s)`,
    };
    result = {
      ...base,
      rows: [
        compareRow({
          ...common,
          name: `HTTP GET reading SQLite + PostgreSQL, ${spec.databases} databases configured: server CPU per request`,
          unit: 'µs CPU/request',
          a: { label: 'nestjs-multidb', samples: samples.A },
          b: { label: '@mikro-orm/nestjs', samples: samples.B },
          ratioDefinition: 'A / B server CPU µs per request',
          goal: atMost(spec.goal),
        }),
        ...(spec.control
          ? [
              compareRow({
                ...common,
                name: `HTTP GET reading SQLite + PostgreSQL, ${spec.databases} databases configured: A/A control`,
                workload: `${common.workload}; A′ is the nestjs-multidb app again, in a process of its own, taking its turns in the same rounds: A′/A is the resolution of the server-CPU measure on this machine`,
                unit: 'µs CPU/request',
                a: { label: 'nestjs-multidb A′ (identical to A)', samples: samples.C },
                b: { label: 'nestjs-multidb', samples: samples.A },
                ratioDefinition: 'A′ / A server CPU µs per request',
                goal: null,
              }),
            ]
          : []),
        compareRow({
          ...common,
          name: `HTTP GET reading SQLite + PostgreSQL, ${spec.databases} databases configured: requests/s (load-generator-bound)`,
          unit: 'requests/s',
          a: { label: 'nestjs-multidb', samples: perSecond.A },
          b: { label: '@mikro-orm/nestjs', samples: perSecond.B },
          ratioDefinition: 'A / B requests/s',
          goal: null,
          note:
            `measured over each round's ${burstSeconds} s burst (a set time, not a set number of requests). ` +
            'autocannon shares the cores with the server: on a small machine this measures the load generator as much ' +
            `as the app (no goal). Median latency p50: A ${ms(p50.A)}, B ${ms(p50.B)}`,
        }),
      ],
    };
  } finally {
    for (const problem of await Promise.all(Object.values(servers).map((server) => server.stop()))) {
      if (problem) notes.push(problem);
    }
  }
  return { ...result, notes };
}
