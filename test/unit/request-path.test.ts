import { createHook } from 'node:async_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntitySchema, MikroORM, RequestContext } from '@mikro-orm/core';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolTimeoutError } from 'nestjs-multidb';
import { poolUsageOf } from '../../src/orm/pool-usage.js';
import { boot, type Booted, rejection } from '../fixtures/boot.js';

interface Row {
  id: number;
  name: string;
}
const schema = (name: string) =>
  new EntitySchema<Row>({
    name,
    tableName: 'rows',
    properties: { id: { type: 'number', primary: true }, name: { type: 'string' } },
  });

/** The async resources (by type) that `count` runs of `op` create, after a warm-up. */
async function resourcesPerRun(
  op: (i: number) => Promise<unknown>,
  { count = 200, warmup = 20 } = {},
): Promise<Record<string, number>> {
  for (let i = 0; i < warmup; i++) await op(i);
  const seen: Record<string, number> = {};
  const hook = createHook({
    init(_id, type) {
      seen[type] = (seen[type] ?? 0) + 1;
    },
  });
  hook.enable();
  try {
    for (let i = 0; i < count; i++) await op(i);
  } finally {
    hook.disable();
  }
  return Object.fromEntries(Object.entries(seen).map(([type, n]) => [type, n / count]));
}

describe('request path (issue #16): what a query pays on top of MikroORM’s own RequestContext path', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'multidb-request-path-')), 'rows.db');
  const Ours = schema('Ours');
  const Theirs = schema('Theirs');
  let booted: Booted;
  let plain: MikroORM;

  beforeAll(async () => {
    booted = await boot({ databases: { default: `sqlite:///${file}` }, entities: [Ours] });
    await booted.db.createAll();
    await booted.db.runInContext(() =>
      booted.db.em().insertMany(
        Ours,
        Array.from({ length: 50 }, (_, i) => ({ id: i + 1, name: `row ${i + 1}` })),
      ),
    );
    plain = await MikroORM.init({ driver: SqliteDriver, dbName: file, entities: [Theirs] });
  });
  afterAll(async () => {
    await booted?.app.close();
    await plain?.close(true);
  });

  it('a findOne in a request context (runInContext + getRepository) creates no more promises than RequestContext.create + em.getRepository on a plain MikroORM', async () => {
    const { db } = booted;
    const ours = await resourcesPerRun((i) =>
      db.runInContext(() => db.getRepository<Row>(Ours).findOne({ id: (i % 50) + 1 })),
    );
    const theirs = await resourcesPerRun((i) =>
      RequestContext.create(plain.em, () => plain.em.getRepository<Row>(Theirs).findOne({ id: (i % 50) + 1 })),
    );
    // before the consolidation: 90 promises per findOne against MikroORM's 82 (layered acquire wrappers)
    expect(ours.PROMISE).toBeLessThanOrEqual(theirs.PROMISE ?? 0);
  });

  it('a checkout that finds the connection free arms no timer (the acquire watchdog watches waits only)', async () => {
    const fresh = await boot({ databases: { default: { url: 'sqlite://', acquireTimeout: 100 } }, entities: [Ours] });
    try {
      await fresh.db.createAll();
      // a timer an earlier checkout armed has run out by then: the next checkouts would arm a new one
      await new Promise((resolve) => setTimeout(resolve, 200));
      const timers = await resourcesPerRun((i) => fresh.db.runInContext(() => fresh.db.em().findOne(Ours, { id: i })), {
        count: 20,
        warmup: 0,
      });
      // before: a watchdog timer per acquireTimeout period of checkouts, busy or not
      expect(timers.Timeout ?? 0).toBe(0);
    } finally {
      await fresh.app.close();
    }
  });

  it('pool counters: busy, waiting and timeouts of a SQLite database whose one connection a transaction holds', async () => {
    const counted = await boot({
      databases: { default: { url: 'sqlite://', acquireTimeout: 150 } },
      entities: [Ours],
    });
    try {
      const { db } = counted;
      await db.createAll();
      const usage = () => poolUsageOf(db.orm().driver.getConnection());
      const holder = db.em().fork();
      await holder.begin();
      await holder.insert(Ours, { id: 1, name: 'held' });
      expect({ busy: usage()?.busy, waiting: usage()?.waiting, timeouts: usage()?.timeouts }).toEqual({
        busy: 1,
        waiting: 0,
        timeouts: 0,
      });
      const queued = db.em().fork().count(Ours, {});
      await new Promise((resolve) => setImmediate(resolve));
      expect(usage()?.waiting).toBe(1);
      expect(await rejection(queued)).toBeInstanceOf(PoolTimeoutError);
      expect({ busy: usage()?.busy, waiting: usage()?.waiting, timeouts: usage()?.timeouts }).toEqual({
        busy: 1,
        waiting: 0,
        timeouts: 1,
      });
      await holder.commit();
      expect(usage()?.busy).toBe(0);
      expect(await db.em().fork().count(Ours, {})).toBe(1);
    } finally {
      await counted.app.close();
    }
  });
});
