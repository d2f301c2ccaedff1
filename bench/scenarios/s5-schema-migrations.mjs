/**
 * Scenario 5 — schema creation and migrations over 10 databases: all keys at once (what
 * DbService.createAll() and MigrationService.up() do) vs one key after another.
 *
 * Ten SQLite files, three tables per key. An initial migration per key is generated once
 * (MigrationService.create(key, { initial: true })) under bench/.tmp/, inside the repository, so
 * that the generated files resolve @mikro-orm/migrations. Every round starts from empty databases
 * (dropAll, and the migration history deleted — untimed).
 */
import { mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EntitySchema } from '@mikro-orm/core';
import { itemSchema } from '../lib/entities.mjs';
import { compareRow, interleave, progress } from '../lib/harness.mjs';
import { multidb } from '../lib/multidb.mjs';
import { multiDbContext } from '../lib/nest.mjs';

export const title = 'createAll() and migration:up over 10 databases';
const KEYS = 10;

/** @param {string} key */
function entitiesOf(key) {
  const suffix = key === 'default' ? '' : `_${key}`;
  const tag = new EntitySchema({
    name: `Tag${suffix}`,
    tableName: 'tags',
    properties: {
      id: { type: 'integer', primary: true },
      label: { type: 'string', length: 64, unique: true },
      color: { type: 'string', length: 7, nullable: true },
    },
  });
  const note = new EntitySchema({
    name: `Note${suffix}`,
    tableName: 'notes',
    indexes: [{ properties: ['authorId', 'createdAt'] }],
    properties: {
      id: { type: 'integer', primary: true },
      authorId: { type: 'integer' },
      body: { type: 'text' },
      published: { type: 'boolean', default: false },
      createdAt: { type: 'datetime' },
    },
  });
  return [itemSchema({ name: `Item${suffix}` }), tag, note].map((e) => multidb.inDatabase(key, e));
}

/** @param {import('../lib/config.mjs').BenchConfig} config */
export async function run(config) {
  const sizes = config.smoke ? { rounds: 2, warmup: 1 } : { rounds: 10, warmup: 2 };
  const keys = ['default', ...Array.from({ length: KEYS - 1 }, (_, i) => `db${i + 1}`)];
  const migrationsDir = join(config.benchDir, '.tmp', `migrations-${process.pid}`);
  rmSync(migrationsDir, { recursive: true, force: true });
  mkdirSync(migrationsDir, { recursive: true });
  const databases = Object.fromEntries(keys.map((k) => [k, `sqlite:///${join(config.tmpDir, 'schema', `${k}.db`)}`]));
  const { app, db } = await multiDbContext({
    databases,
    entities: keys.flatMap(entitiesOf),
    migrationOptions: { directory: migrationsDir, silent: true },
  });
  const migrations = app.get(multidb.MigrationService);
  const time = async (/** @type {() => Promise<unknown>} */ fn) => {
    const begin = performance.now();
    await fn();
    return performance.now() - begin;
  };
  try {
    for (const key of keys) await migrations.create(key, { initial: true });

    const createAll = await interleave(
      {
        A: async () => {
          await db.dropAll();
          return time(() => db.createAll());
        },
        B: async () => {
          await db.dropAll();
          return time(async () => {
            for (const key of keys) await db.createAll(key);
          });
        },
      },
      { rounds: sizes.rounds, warmup: sizes.warmup, label: '5 createAll ms' },
    );
    await db.dropAll();

    // an initial migration has no down(): empty each database by hand, tables and history rows
    const reset = async () => {
      await db.dropAll();
      for (const key of keys) {
        const orm = db.orm(key);
        const history = orm.config.get('migrations').tableName ?? 'mikro_orm_migrations';
        await orm.em.getConnection().execute(`delete from ${history}`);
      }
    };
    await migrations.pending(); // creates each history table, which reset() empties
    const applied = (/** @type {{ value?: string[] }[]} */ outcomes) => {
      if (outcomes.some((o) => o.value?.length !== 1)) throw new Error('expected one migration applied per key');
    };
    const up = await interleave(
      {
        A: async () => {
          await reset();
          return time(async () => applied(await migrations.up()));
        },
        B: async () => {
          await reset();
          return time(async () => {
            for (const key of keys) applied(await migrations.up([key]));
          });
        },
      },
      { rounds: sizes.rounds, warmup: sizes.warmup, label: '5 migration:up ms' },
    );
    progress('5: done');
    const common = { scenario: '5', unit: 'ms', sizes: `${KEYS} SQLite files, 3 tables each; ${sizes.rounds} rounds` };
    return {
      id: '5',
      title,
      command: 'node bench/run.mjs --only 5',
      description:
        'Ten SQLite files with three tables each. createAll: DbService.createAll() (all keys concurrently, A) vs ' +
        'createAll(key) for one key after another (B), from empty databases each round. migration:up: ' +
        'MigrationService.up() (all keys, A) vs up([key]) one key after another (B), one generated initial migration ' +
        'per key (bench/.tmp/), every database emptied (tables dropped, migration history deleted) before each round. Reported only: SQLite (better-sqlite3) ' +
        'runs its statements synchronously on the one JavaScript thread, so concurrency can only overlap the async ' +
        'glue between them.',
      rows: [
        compareRow({
          ...common,
          name: 'createAll() over 10 keys',
          workload: 'schema creation (safe update) of every key, from empty databases',
          a: { label: 'createAll() (concurrent)', samples: createAll.A },
          b: { label: 'createAll(key) one by one', samples: createAll.B },
          ratioDefinition: 'time(concurrent) / time(sequential)',
        }),
        compareRow({
          ...common,
          name: 'migration:up over 10 keys',
          workload: 'apply the initial migration of every key (MigrationService.up)',
          a: { label: 'up() (concurrent)', samples: up.A },
          b: { label: 'up([key]) one by one', samples: up.B },
          ratioDefinition: 'time(concurrent) / time(sequential)',
        }),
      ],
    };
  } finally {
    await app.close();
    rmSync(migrationsDir, { recursive: true, force: true });
    const tmp = join(config.benchDir, '.tmp');
    if (readdirSync(tmp).length === 0) rmdirSync(tmp);
  }
}
