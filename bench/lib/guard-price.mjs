/**
 * Scenario 1's price list: what nestjs-multidb's per-query equipment costs by itself, on drivers
 * that answer at once so that nothing else is measured. Comparing whole queries cannot resolve a
 * few hundred nanoseconds: two identical MikroORM instances differ by ±2 % (scenario 1's A/A
 * control), more than the equipment costs. And what SQLite's statement reuse saves per query, on a
 * real in-memory database. The equipment is internal, not public API: it is taken from the dist/
 * of the package under test (this repository's, or BENCH_MULTIDB_ROOT's).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MikroORM } from '@mikro-orm/core';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { idAt, itemRows, itemSchema } from './entities.mjs';
import { alternateOps, compareRow, msPerOp, opCounts, summarize } from './harness.mjs';

const root = resolve(process.env.BENCH_MULTIDB_ROOT ?? join(fileURLToPath(import.meta.url), '../../..'));
/** @param {string} file a module of dist/ */
const internal = (file) => import(pathToFileURL(join(root, 'dist', file)).href);

/** A Kysely driver of a pool whose checkouts resolve at once (the shape of pg's and mysql2's). */
function instantDriver() {
  const connection = { executeQuery: async () => ({ rows: [] }) };
  return {
    acquireConnection: async () => connection,
    releaseConnection: async () => undefined,
    beginTransaction: async () => undefined,
    commitTransaction: async () => undefined,
    rollbackTransaction: async () => undefined,
    destroy: async () => undefined,
  };
}

/** A MikroORM connection as the guard sees it: it creates a Kysely dialect over `instantDriver`. */
function instantConnection() {
  return {
    createKyselyDialect: () => ({
      createAdapter: () => ({ supportsMultipleConnections: true }),
      createDriver: instantDriver,
    }),
    execute: async () => [],
  };
}

/** A MikroORM instance as the error tagging sees it: one connection, no replicas. */
function instantOrm() {
  const converter = { convertException: (/** @type {Error} */ error) => error };
  return {
    driver: { connection: instantConnection(), replicas: [] },
    config: { getPlatform: () => ({ getExceptionConverter: () => converter }) },
  };
}

/** The primary-key read MikroORM's findOne sends, as its template (MikroORM writes the value in). */
const FIND_ONE_SQL = 'select `i0`.* from `items` as `i0` where `i0`.`id` = ? limit 1';

/**
 * An in-memory SQLite MikroORM with `rows` items, `equip` applied before it connects.
 * @param {number} rows
 * @param {(orm: MikroORM) => void} equip
 */
async function sqliteOrm(rows, equip) {
  const orm = await MikroORM.init({
    driver: SqliteDriver,
    dbName: ':memory:',
    entities: [itemSchema()],
    connect: false,
  });
  equip(orm);
  await orm.schema.create();
  const em = orm.em.fork();
  for (const row of itemRows(rows)) em.create('Item', row);
  await em.flush();
  return orm;
}

/**
 * Three rows: the connection guard per checkout (acquire + release) and the error tagging per
 * query, each with and without, and SQLite's statement reuse per primary-key read (its
 * `connection.execute`, the query findOne sends), in interleaved rounds of CPU time.
 * @param {{ smoke: boolean }} config
 * @returns {Promise<import('./harness.mjs').Row[]>}
 */
export async function guardPriceRows(config) {
  const [{ guardConnection }, { tagErrorsWithKey }, { reuseSqliteStatements }] = await Promise.all([
    internal('orm/pool-guard.js'),
    internal('errors/database-unavailable.filter.js'),
    internal('orm/sqlite-statements.js'),
  ]);
  const plain = instantDriver();
  const owner = instantConnection();
  guardConnection(owner, 'bench', 10_000, 10);
  const guarded = owner.createKyselyDialect().createDriver();
  /** @param {ReturnType<typeof instantDriver>} driver */
  const checkout = (driver) => async () => driver.releaseConnection(await driver.acquireConnection());
  const untagged = instantOrm();
  const tagged = instantOrm();
  tagErrorsWithKey(tagged, 'bench');

  // turns of 10 ms: a thread's CPU clock ticks every 1–2 ms here (scheduler ticks)
  const target = config.smoke
    ? { rounds: 2, warmup: 1, roundMs: 20, blockMs: 10 }
    : { rounds: 22, warmup: 3, roundMs: 100, blockMs: 10 };
  /** @param {string} label @param {Record<string, (i: number) => Promise<unknown>>} sides */
  const measure = async (label, sides) => {
    const sizes = { ...target, ...opCounts(await msPerOp(Object.values(sides)[0]), target) };
    const samples = await alternateOps(sides, { ...sizes, label: `1 price of ${label}`, clock: 'cpu' });
    return {
      samples,
      sizes: `${sizes.rounds} rounds × ${sizes.opsPerRound.toLocaleString('en-US')} ops per side, turns of ${sizes.block.toLocaleString('en-US')}`,
    };
  };
  const checkouts = await measure('the connection guard', { plain: checkout(plain), guarded: checkout(guarded) });
  const queries = await measure('the error tagging', {
    untagged: () => untagged.driver.connection.execute(),
    tagged: () => tagged.driver.connection.execute(),
  });
  const rows = config.smoke ? 100 : 1000;
  const [literal, reused] = await Promise.all([
    sqliteOrm(rows, () => undefined),
    sqliteOrm(rows, (orm) => reuseSqliteStatements(orm)),
  ]);
  /** @param {MikroORM} orm */
  const read = (orm) => (/** @type {number} */ i) => orm.em.getConnection().execute(FIND_ONE_SQL, [idAt(i, rows)]);
  const reads = await measure('SQLite statement reuse', { literal: read(literal), reused: read(reused) });
  await Promise.all([literal.close(true), reused.close(true)]);
  const samples = { ...checkouts.samples, ...queries.samples, ...reads.samples };
  /** @param {number[]} withIt @param {number[]} without per-round ns of CPU one op costs more */
  const extraNs = (withIt, without) => summarize(withIt.map((ops, r) => 1e9 / ops - 1e9 / without[r]));
  const common = { scenario: '1', unit: 'ops per CPU-second', ratioDefinition: 'A / B ops per CPU-second', goal: null };
  const guard = extraNs(samples.guarded, samples.plain);
  const tag = extraNs(samples.tagged, samples.untagged);
  const saved = extraNs(samples.literal, samples.reused);
  /** @param {{ median: number, q1: number, q3: number }} s */
  const ns = (s) => `${s.median.toFixed(0)} [${s.q1.toFixed(0)}–${s.q3.toFixed(0)}] ns of CPU`;
  return [
    compareRow({
      ...common,
      name: 'price of the connection guard, per checkout',
      sizes: checkouts.sizes,
      workload: `acquire + release on a pool driver that answers at once (pg's and mysql2's shape), with (A) and without (B) the connection guard (acquire timeout, connect-error mark, busy-connection tracking, refusal once closed): ${ns(guard)} per checkout`,
      a: { label: 'with the connection guard', samples: samples.guarded },
      b: { label: 'the bare driver', samples: samples.plain },
    }),
    compareRow({
      ...common,
      name: 'price of the error tagging, per query',
      sizes: queries.sizes,
      workload: `a connection's execute() that answers at once, with (A) and without (B) the error tagging (each error marked with its database key): ${ns(tag)} per query`,
      a: { label: 'with the error tagging', samples: samples.tagged },
      b: { label: 'the bare execute()', samples: samples.untagged },
    }),
    compareRow({
      ...common,
      name: 'SQLite statement reuse, per query',
      sizes: `${rows} rows, in-memory SQLite; ${reads.sizes}`,
      workload: `the primary-key read findOne sends (connection.execute of its template and one id), on a plain MikroORM with (A) and without (B) nestjs-multidb's statement reuse (values bound, compiled statements kept): ${ns(saved)} less per query`,
      a: { label: 'statements reused', samples: samples.reused },
      b: { label: "MikroORM's literal SQL, compiled every time", samples: samples.literal },
    }),
  ];
}
