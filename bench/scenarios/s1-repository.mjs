/**
 * Scenario 1 — repository reads inside a request context.
 *
 * A: DbService.getRepository(Item) inside db.runInContext(), one context per op (a request that
 *    does one query), through a Nest application context with MultiDbModule.setup().
 * B: the same calls on a plain MikroORM.init() instance with the same options, one
 *    orm.em.fork() per op.
 * R (the verdict, A/R ≥ 1): MikroORM's own RequestContext.create() around em.getRepository, on the
 *    plain MikroORM of B: A/R is everything nestjs-multidb adds (its context, lookups and connection
 *    guard) over the floor every request-scoped app pays. A/B (no goal): against a
 *    bare fork without any request context, which no request-scoped app uses. B′ (findOne only): a second plain MikroORM identical to B, the A/A control.
 * All read the same table (same SQLite file, same PostgreSQL database), ops run one after another.
 */
import { join } from 'node:path';
import { MikroORM, RequestContext } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { PG_DATABASES, pgOptions, pgUrl } from '../lib/config.mjs';
import { idAt, itemRows, itemSchema } from '../lib/entities.mjs';
import { alternateOps, atLeast, compareRow, msPerOp, opCounts, progress } from '../lib/harness.mjs';
import { guardPriceRows } from '../lib/guard-price.mjs';
import { multiDbContext } from '../lib/nest.mjs';

export const title = 'Repository reads in a request context';

/** @param {import('../lib/config.mjs').BenchConfig} config */
export async function run(config) {
  const sizes = config.smoke
    ? { rows: 100, rounds: 2, warmup: 1, roundMs: 20, blockMs: 2 }
    : { rows: 1000, rounds: 22, warmup: 3, roundMs: 150, blockMs: 2 };
  const engines = [
    {
      engine: 'SQLite',
      url: `sqlite:///${join(config.tmpDir, 'repository.db')}`,
      plain: { driver: SqliteDriver, dbName: join(config.tmpDir, 'repository.db') },
    },
  ];
  if (config.pg) {
    const url = pgUrl(config, PG_DATABASES.repository);
    engines.push({ engine: 'PostgreSQL', url, plain: { driver: PostgreSqlDriver, ...pgOptions(url) } });
  }

  /** @type {import('../lib/harness.mjs').Row[]} */
  const rows = [];
  for (const { engine, url, plain } of engines) {
    const itemA = itemSchema();
    const itemB = itemSchema();
    const { app, db } = await multiDbContext({ databases: { default: url }, entities: [itemA] });
    const orm = await MikroORM.init({ ...plain, entities: [itemB], discovery: { warnWhenNoEntities: false } });
    await orm.connect();
    // A/A control: a second plain MikroORM, identical to B; B′/B shows what ratio identical code gets here
    const itemC = itemSchema();
    const control = await MikroORM.init({ ...plain, entities: [itemC], discovery: { warnWhenNoEntities: false } });
    await control.connect();
    try {
      await db.createAll();
      await db.runInContext(async () => {
        await db.em().nativeDelete(itemA, {});
        await db.em().insertMany(itemA, itemRows(sizes.rows));
      });

      const workloads = [
        {
          name: 'findOne by primary key',
          r: (/** @type {number} */ i) =>
            RequestContext.create(orm.em, () => orm.em.getRepository(itemB).findOne({ id: idAt(i, sizes.rows) })),
          a: (/** @type {number} */ i) =>
            db.runInContext(() => db.getRepository(itemA).findOne({ id: idAt(i, sizes.rows) })),
          b: (/** @type {number} */ i) =>
            orm.em
              .fork()
              .getRepository(itemB)
              .findOne({ id: idAt(i, sizes.rows) }),
          check: (/** @type {any} */ r) => r?.id === idAt(0, sizes.rows),
        },
        {
          name: 'find, limit 10',
          r: (/** @type {number} */ i) =>
            RequestContext.create(orm.em, () =>
              orm.em
                .getRepository(itemB)
                .find({ id: { $gt: idAt(i, sizes.rows - 10) } }, { limit: 10, orderBy: { id: 'asc' } }),
            ),
          a: (/** @type {number} */ i) =>
            db.runInContext(() =>
              db
                .getRepository(itemA)
                .find({ id: { $gt: idAt(i, sizes.rows - 10) } }, { limit: 10, orderBy: { id: 'asc' } }),
            ),
          b: (/** @type {number} */ i) =>
            orm.em
              .fork()
              .getRepository(itemB)
              .find({ id: { $gt: idAt(i, sizes.rows - 10) } }, { limit: 10, orderBy: { id: 'asc' } }),
          check: (/** @type {any} */ r) => Array.isArray(r) && r.length === 10,
        },
      ];

      for (const [index, w] of workloads.entries()) {
        const [ra, rb] = [await w.a(0), await w.b(0)];
        if (!w.check(ra) || !w.check(rb)) throw new Error(`${engine} ${w.name}: unexpected result`);
        const { opsPerRound, block } = opCounts(await msPerOp(w.b), sizes);
        /** @type {Record<string, (i: number) => Promise<unknown>>} */
        const sides = { A: w.a, B: w.b, R: w.r };
        const withControl = index === 0;
        if (withControl) {
          sides.C = (i) =>
            control.em
              .fork()
              .getRepository(itemC)
              .findOne({ id: idAt(i, sizes.rows) });
        }
        const samples = await alternateOps(sides, {
          rounds: sizes.rounds,
          warmup: sizes.warmup,
          opsPerRound,
          block,
          label: `1 ${engine} ${w.name}`,
          // CPU time of this thread: descheduled time (a shared machine) and the database server's work are nobody's
          clock: 'cpu',
        });
        const common = {
          scenario: '1',
          sizes: `${sizes.rows} rows; ${sizes.rounds} rounds × ${opsPerRound} ops per side, turns of ${block} op${block === 1 ? '' : 's'}`,
          unit: 'ops per CPU-second',
          b: { label: 'MikroORM: em.fork().getRepository', samples: samples.B },
        };
        // the verdict: A against R, MikroORM's own RequestContext path (what a request-scoped app pays anyway)
        rows.push(
          compareRow({
            ...common,
            name: `${engine}: ${w.name}, vs MikroORM's RequestContext`,
            workload: `A against R: MikroORM's own RequestContext.create(em, …) + em.getRepository per op (what @mikro-orm/nestjs's middleware does) on a plain MikroORM with the same options, in the same rounds`,
            a: { label: 'nestjs-multidb: runInContext + getRepository', samples: samples.A },
            b: {
              label: 'MikroORM: RequestContext.create + em.getRepository',
              samples: /** @type {number[]} */ (samples.R),
            },
            ratioDefinition: 'A / R ops per CPU-second',
            goal: atLeast(1.0),
          }),
        );
        rows.push(
          compareRow({
            ...common,
            name: `${engine}: ${w.name}, vs a bare fork`,
            workload: `${w.name} on ${engine}, one request context (A) / one bare fork without any context (B) per op, ops one after another`,
            a: { label: 'nestjs-multidb: runInContext + getRepository', samples: samples.A },
            ratioDefinition: 'A / B ops per CPU-second',
            goal: null,
          }),
        );
        rows.push(
          compareRow({
            ...common,
            name: `${engine}: ${w.name}, MikroORM's RequestContext vs fork`,
            workload: `R against B: what a request context costs in MikroORM itself, without nestjs-multidb`,
            a: {
              label: 'MikroORM: RequestContext.create + em.getRepository',
              samples: /** @type {number[]} */ (samples.R),
            },
            ratioDefinition: 'R / B ops per CPU-second',
            goal: null,
          }),
        );
        if (withControl) {
          rows.push(
            compareRow({
              ...common,
              name: `${engine}: ${w.name}, A/A control`,
              workload: `the B side against a second, identical plain MikroORM (B′), in the same rounds: the noise floor`,
              a: { label: 'MikroORM B′ (identical to B)', samples: /** @type {number[]} */ (samples.C) },
              ratioDefinition: 'B′ / B ops per CPU-second',
              goal: null,
            }),
          );
        }
      }
    } finally {
      await app.close();
      await orm.close(true);
      await control.close(true);
    }
    progress(`1 ${engine}: done`);
  }
  rows.push(...(await guardPriceRows(config)));
  return {
    id: '1',
    title,
    command: 'node bench/run.mjs --only 1',
    notes: config.pg ? [] : [`PostgreSQL part skipped: ${config.pgUnavailable ?? 'no server'}.`],
    description:
      'Primary-key findOne and a 10-row find through DbService.getRepository(Item) inside db.runInContext() (A), ' +
      'vs the same calls on a plain MikroORM.init() with the same options and orm.em.fork() per op (B). ' +
      'One context or fork per op (each op stands for a request doing one query); same table, same rows. ' +
      "Within each round the sides take turns every few ops (about 2 ms of work). The verdict is A/R: R is MikroORM's own " +
      "RequestContext.create(em, …) around em.getRepository(Item) (what @mikro-orm/nestjs's middleware does per request) " +
      'on the plain MikroORM of B, in the same rounds, so A/R is what nestjs-multidb adds (context, lookups, connection ' +
      'guard) over what any request context costs. A/B (no goal) compares with a bare fork and no context at all; on ' +
      'findOne B′, a second plain MikroORM identical to B: B′/B is the A/A control, the resolution of the measurement ' +
      'on this machine. The next two rows price the per-query equipment every database of nestjs-multidb has (the ' +
      'connection guard, the error tagging) by itself, on a driver that answers at once: a whole query cannot resolve ' +
      'a few hundred nanoseconds. The last row measures what SQLite saves per query by reusing compiled statements ' +
      '(MikroORM writes every value into the SQL, so without it better-sqlite3 compiles each query anew).',
    rows,
  };
}
