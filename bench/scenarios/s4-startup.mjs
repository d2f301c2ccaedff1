/**
 * Scenario 4 — application start-up with 1, 3 and 10 databases.
 *
 * Timed: NestFactory.create(AppModule) until app.init() resolves (the databases start during
 * create(): each key's MikroORM.init, connect and connection check, all keys concurrently). Then
 * app.close(), untimed. SQLite files, then PostgreSQL databases on the run's one server; one small
 * entity per key. Reference: plain MikroORM.init + connect + checkConnection of 10 databases at
 * once vs 1, no Nest. The three sizes run in interleaved rounds in one (warm) process, so module
 * loading is not counted, only the work each start does.
 */
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { NestFactory } from '@nestjs/core';
import { PG_DATABASES, pgOptions, pgUrl } from '../lib/config.mjs';
import { itemSchema } from '../lib/entities.mjs';
import { atMost, compareRow, interleave, progress } from '../lib/harness.mjs';
import { multidb } from '../lib/multidb.mjs';
import { makeModule, quietNest } from '../lib/nest.mjs';

export const title = 'Application start-up';
const COUNTS = [1, 3, 10];

/** @param {import('../lib/config.mjs').BenchConfig} config */
export async function run(config) {
  const sizes = config.smoke ? { rounds: 2, warmup: 1 } : { rounds: 20, warmup: 3 };
  /** @type {{ engine: string, url: (i: number) => string }[]} */
  const file = (/** @type {number} */ i) => join(config.tmpDir, 'startup', `db${i}.db`);
  /** @type {{ engine: string, url: (i: number) => string, plain: (i: number) => object }[]} */
  const engines = [
    { engine: 'SQLite', url: (i) => `sqlite:///${file(i)}`, plain: (i) => ({ driver: SqliteDriver, dbName: file(i) }) },
  ];
  if (config.pg) {
    const url = (/** @type {number} */ i) => pgUrl(config, PG_DATABASES.startup(i));
    engines.push({ engine: 'PostgreSQL', url, plain: (i) => ({ driver: PostgreSqlDriver, ...pgOptions(url(i)) }) });
  }

  /** @type {import('../lib/harness.mjs').Row[]} */
  const rows = [];
  for (const { engine, url, plain } of engines) {
    /** one start: ms from NestFactory.create until app.init() resolves */
    const start = (/** @type {number} */ n) => async () => {
      const databases = /** @type {Record<string, string>} */ ({ default: url(0) });
      const entities = [itemSchema()];
      for (let k = 1; k < n; k++) {
        databases[`db${k}`] = url(k);
        entities.push(itemSchema({ name: `Item${k}`, database: `db${k}` }));
      }
      const root = makeModule('StartupApp', { imports: [multidb.MultiDbModule.setup({ databases, entities })] });
      const begin = performance.now();
      const app = await NestFactory.create(root, quietNest);
      await app.init();
      const ms = performance.now() - begin;
      if (app.get(multidb.DbService).keys.length !== n) throw new Error(`expected ${n} databases`);
      await app.close();
      return ms;
    };
    /** reference: n plain MikroORM.init + connect + checkConnection, all at once, no Nest, no nestjs-multidb */
    const plainStart = (/** @type {number} */ n) => async () => {
      const options = Array.from({ length: n }, (_, i) => ({
        ...plain(i),
        entities: [itemSchema({ name: `Item${i}` })],
        discovery: { warnWhenNoEntities: false },
      }));
      const begin = performance.now();
      const orms = await Promise.all(
        options.map(async (o) => {
          const orm = await MikroORM.init(/** @type {any} */ (o));
          await orm.connect();
          const check = await orm.checkConnection();
          if (!check.ok) throw check.error ?? new Error(check.reason);
          return orm;
        }),
      );
      const ms = performance.now() - begin;
      await Promise.all(orms.map((orm) => orm.close(true)));
      return ms;
    };
    const sides = Object.fromEntries(COUNTS.map((n) => [`${n}`, start(n)]));
    sides['plain 1'] = plainStart(1);
    sides['plain 10'] = plainStart(10);
    const samples = await interleave(sides, {
      rounds: sizes.rounds,
      warmup: sizes.warmup,
      label: `4 ${engine} start-up ms`,
    });
    for (const n of COUNTS) {
      rows.push(
        compareRow({
          scenario: '4',
          name: `${engine}: ${n} database${n === 1 ? '' : 's'}`,
          workload: `NestFactory.create + app.init() with MultiDbModule.setup over ${n} ${engine === 'SQLite' ? 'SQLite file' : 'PostgreSQL database'}${n === 1 ? '' : 's'} (one entity each), then close`,
          sizes: `${n} key${n === 1 ? '' : 's'}; ${sizes.rounds} rounds`,
          unit: 'ms',
          a: { label: `${n} database${n === 1 ? '' : 's'}`, samples: samples[`${n}`] },
          b: { label: '1 database', samples: samples['1'] },
          ratioDefinition: `time(${n}) / time(1)`,
          goal: n === 10 ? atMost(2) : null,
        }),
      );
    }
    rows.push(
      compareRow({
        scenario: '4',
        name: `${engine}: plain MikroORM, 10 vs 1 (reference)`,
        workload: `no Nest, no nestjs-multidb: MikroORM.init + connect + checkConnection of 10 ${engine} databases at once (Promise.all) vs of 1`,
        sizes: `${sizes.rounds} rounds, in the same rounds as the rows above`,
        unit: 'ms',
        a: { label: 'plain MikroORM × 10', samples: samples['plain 10'] },
        b: { label: 'plain MikroORM × 1', samples: samples['plain 1'] },
        ratioDefinition: 'time(10) / time(1)',
      }),
    );
    progress(`4 ${engine}: done`);
  }
  return {
    id: '4',
    title,
    command: 'node bench/run.mjs --only 4',
    notes: config.pg ? [] : [`PostgreSQL part skipped: ${config.pgUnavailable ?? 'no server'}.`],
    description:
      'Start-up of a Nest application with MultiDbModule.setup over 1, 3 and 10 databases: time from NestFactory.create() ' +
      'until app.init() resolves (each database: MikroORM.init, connect, connection check; all concurrently), then app.close() ' +
      'untimed. SQLite files (in a temp folder), and PostgreSQL databases on one throwaway server. Measured in one warm process ' +
      '(module loading excluded), sizes interleaved; A = n databases, B = 1 database. Reference in the same rounds: ' +
      'plain MikroORM.init + connect + checkConnection of 10 databases at once vs of 1 (no Nest, no nestjs-multidb), ' +
      "which bounds what concurrency can give when each database's start is mostly JavaScript on the one thread.",
    rows,
  };
}
