/**
 * Scenario 9 — what opening one database-mode tenant costs (SQLite, 11 entities), against opening
 * its file with the raw driver.
 *
 * A round attaches fresh tenants (untimed), then opens each one: "create" is the tenant's ORM
 * coming into being on first use (`db.orm('tenant')` inside `db.runForTenant`, synchronous),
 * "first query" adds its connection and a `select 1` (the pool is created on the first query). The
 * raw side does `new Database(file)` (better-sqlite3), then `prepare('select 1').get()`. Both
 * sides' files exist beforehand (created untimed). Then the
 * tenants are detached and the raw handles closed, untimed. Sides interleaved, per-tenant ms.
 * Run it with BENCH_MULTIDB_ROOT=<a checkout of an older build> for the "before" figures.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EntitySchema } from '@mikro-orm/core';
import Database from 'better-sqlite3';
import { NestFactory } from '@nestjs/core';
import { compareRow, interleave, progress } from '../lib/harness.mjs';
import { multidb, packageUnderTest } from '../lib/multidb.mjs';
import { makeModule, quietNest } from '../lib/nest.mjs';

export const title = 'Opening a tenant (SQLite, 11 entities)';

const NAMES = [
  'Author',
  'Book',
  'Publisher',
  'Tag',
  'Review',
  'Customer',
  'Order',
  'OrderLine',
  'Product',
  'Category',
  'Address',
];

/** Eleven small tables, each (but the first) with a many-to-one to the one before. */
function entities() {
  /** @type {EntitySchema[]} */
  const schemas = [];
  NAMES.forEach((name, i) => {
    const properties = {
      id: { type: 'integer', primary: true },
      title: { type: 'string' },
      price: { type: 'integer', nullable: true },
      createdAt: { type: 'datetime' },
      ...(i > 0 ? { parent: { kind: 'm:1', entity: () => schemas[i - 1], nullable: true } } : {}),
    };
    schemas.push(multidb.inDatabase('tenant', new EntitySchema({ name, tableName: name.toLowerCase(), properties })));
  });
  return schemas;
}

/** @param {import('../lib/config.mjs').BenchConfig} config */
export async function run(config) {
  const sizes = config.smoke ? { rounds: 2, warmup: 1, tenants: 10 } : { rounds: 20, warmup: 3, tenants: 100 };
  const dir = join(config.tmpDir, 'tenant-open');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'raw'), { recursive: true });
  mkdirSync(join(dir, 'tenants'), { recursive: true });
  const template = { url: 'sqlite:///tenants/{tenant}.db', tenants: { maxOpen: sizes.tenants } };
  const root = makeModule('TenantOpenApp', {
    imports: [
      multidb.MultiDbModule.setup({
        databases: { default: 'sqlite://', tenant: template },
        entities: entities(),
        rootPath: dir,
      }),
    ],
  });
  const app = await NestFactory.create(root, quietNest);
  await app.init();
  const db = app.get(multidb.DbService);
  let round = 0;
  /** per-tenant ms of creating the ORM and of its first query, for the last round's tenants */
  let created = 0;
  const tenantRound = async () => {
    const names = Array.from({ length: sizes.tenants }, (_, i) => `r${round}t${i}`);
    round++;
    for (const name of names) {
      await db.attach(name);
      // the file exists, as the raw side's does: opening it is timed, creating it is not
      new Database(join(dir, 'tenants', `${name}.db`)).close();
    }
    let create = 0;
    let total = 0;
    for (const name of names) {
      await db.runForTenant(name, async () => {
        const begin = performance.now();
        const orm = db.orm('tenant');
        create += performance.now() - begin;
        await orm.em.getConnection().execute('select 1');
        total += performance.now() - begin;
      });
    }
    for (const name of names) await db.detach(name);
    created = create / names.length;
    return total / names.length;
  };
  let rawCreated = 0;
  const rawRound = async () => {
    const files = Array.from({ length: sizes.tenants }, (_, i) => join(dir, 'raw', `r${round}f${i}.db`));
    round++;
    for (const file of files) new Database(file).close();
    const handles = [];
    let create = 0;
    let total = 0;
    for (const file of files) {
      const begin = performance.now();
      const handle = new Database(file);
      create += performance.now() - begin;
      handle.prepare('select 1').get();
      total += performance.now() - begin;
      handles.push(handle);
    }
    for (const handle of handles) handle.close();
    rawCreated = create / files.length;
    return total / files.length;
  };
  const creates = { tenant: /** @type {number[]} */ ([]), raw: /** @type {number[]} */ ([]) };
  try {
    const samples = await interleave(
      { tenant: tenantRound, raw: rawRound },
      {
        rounds: sizes.rounds,
        warmup: sizes.warmup,
        label: '9 tenant open ms',
        onSample: (side) => creates[side].push(side === 'tenant' ? created : rawCreated),
      },
    );
    progress('9: done');
    const workload = `${sizes.tenants} fresh SQLite tenants per round, 11 entities, each opened once`;
    const rowSizes = `${sizes.tenants} tenants × ${sizes.rounds} rounds`;
    return {
      id: '9',
      title,
      command: 'node bench/run.mjs --only 9',
      notes: [`Package under test: ${packageUnderTest}.`],
      description:
        'One database-mode tenant opened on first use, per tenant: "create" = its ORM coming into being ' +
        '(db.orm(\'tenant\') inside runForTenant), "first query" = create + connection + select 1. Against ' +
        "better-sqlite3's new Database(file) (+ prepare('select 1').get()). Fresh tenants each round; attach " +
        'and detach untimed. A = nestjs-multidb, B = raw driver. Goal (issue #15): a tenant ORM created in ≤ 0.5 ms ' +
        '(1.9 ms before its metadata was shared).',
      rows: [
        compareRow({
          scenario: '9',
          name: 'create the tenant ORM vs open the file',
          workload,
          sizes: rowSizes,
          unit: 'ms',
          a: { label: 'tenant ORM created', samples: creates.tenant },
          b: { label: 'new Database(file)', samples: creates.raw },
          ratioDefinition: 'create(tenant) / open(raw)',
        }),
        compareRow({
          scenario: '9',
          name: 'create + first query',
          workload,
          sizes: rowSizes,
          unit: 'ms',
          a: { label: 'tenant: create + select 1', samples: samples.tenant },
          b: { label: 'raw: open + select 1', samples: samples.raw },
          ratioDefinition: 'time(tenant) / time(raw)',
          goal: null,
        }),
      ],
    };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
