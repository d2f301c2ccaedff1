import { EntitySchema } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionsError, type MultiDbModuleOptions } from 'nestjs-multidb';
import { startPostgres, startPostgresReplica, type ThrowawayServer } from 'nestjs-multidb/testing';
import { type Booted, boot, rejection } from '../fixtures/boot.js';

interface Probe {
  id: number;
  label: string;
  /** Computed by the server that runs the SELECT: true on a replica (a standby in recovery). */
  onReplica?: boolean;
}
const Probe = new EntitySchema<Probe>({
  name: 'Probe',
  tableName: 'probes',
  properties: {
    id: { type: 'integer', primary: true },
    label: { type: 'string' },
    onReplica: { type: 'boolean', formula: () => 'pg_is_in_recovery()', lazy: false, persist: false },
  },
});

const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('read replicas: a PostgreSQL primary and a streaming replica (pg_basebackup -R)', () => {
  let primary: ThrowawayServer;
  let replica: ThrowawayServer;
  let booted: Booted;

  beforeAll(async () => {
    primary = await startPostgres();
    await primary.createDatabase('app');
    await primary.query('create table probes (id serial primary key, label text not null)', 'app');
    replica = await startPostgresReplica(primary);
    const options: MultiDbModuleOptions = {
      databases: { default: { url: primary.url('app'), replicas: [replica.url('app')] } },
      entities: [Probe],
    };
    booted = await boot(options);
  }, 90_000);

  afterAll(async () => {
    await booted?.app.close();
    await replica?.destroy();
    await primary?.destroy();
  });

  it('writes go to the primary; reads outside a transaction are served by the replica', async () => {
    const { db } = booted;
    await db.runInContext(async () => {
      db.em().create(Probe, { label: 'written' }); // a replica would refuse the INSERT (read-only)
      await db.em().flush();
    });
    await until(async () => (await replica.query('select count(*) from probes', 'app')) === '1', 'replication');
    const read = await db.runInContext(() => db.em().find(Probe, {}));
    expect(read.map((p) => [p.label, p.onReplica])).toEqual([['written', true]]);
    expect(db.info().replicas).toEqual([replica.url('app').replace(`:${replica.password}@`, ':***@')]);
    // db.stats(): the primary's pool and the replica's, each with the connection that served it, idle now
    const { pool, replicas } = db.stats().default ?? {};
    expect(replicas).toHaveLength(1);
    for (const stats of [pool, replicas?.[0]]) {
      expect(stats).toMatchObject({ max: 10, inUse: 0, waiting: 0, acquireTimeouts: 0 });
      expect(stats?.total).toBeGreaterThan(0);
    }
  });

  it('reads inside a transaction, and reads forced to the primary, are served by the primary', async () => {
    const { db } = booted;
    const inTransaction = await db.runInContext(() => db.em().transactional((em) => em.find(Probe, {})));
    expect(inTransaction.map((p) => p.onReplica)).toEqual([false]);
    const forced = await db.runInContext(() => db.em().find(Probe, {}, { connectionType: 'write' }));
    expect(forced.map((p) => p.onReplica)).toEqual([false]);
    // read-your-writes: a row just written is read back from the primary at once
    const own = await db.runInContext(async () => {
      const em = db.em();
      em.create(Probe, { label: 'mine' });
      await em.flush();
      em.clear();
      return em.findOne(Probe, { label: 'mine' }, { connectionType: 'write' });
    });
    expect(own).toMatchObject({ label: 'mine', onReplica: false });
  });

  it('a dead replica does not take the key down: its reads go to the primary', async () => {
    const { db } = booted;
    await replica.stop();
    const reads = await db.runInContext(() => Promise.all([1, 2, 3].map(() => db.em().fork().find(Probe, {}))));
    for (const rows of reads) expect(rows.every((p) => p.onReplica === false)).toBe(true);
    await db.runInContext(async () => {
      db.em().create(Probe, { label: 'while the replica is down' });
      await db.em().flush();
    });
    expect(await primary.query("select count(*) from probes where label = 'while the replica is down'", 'app')).toBe(
      '1',
    );
    // an application starting while its replica is down starts, and reads from the primary
    const second = await boot({
      databases: { default: { url: primary.url('app'), replicas: [replica.url('app')] } },
      entities: [Probe],
    });
    try {
      const rows = await second.db.runInContext(() => second.db.em().find(Probe, {}));
      expect(rows.length).toBe(3);
      expect(rows.every((p) => p.onReplica === false)).toBe(true);
    } finally {
      await second.app.close();
    }
  });

  it('replicas must be URLs of the same engine', async () => {
    const error = await rejection(
      boot({ databases: { default: { url: primary.url('app'), replicas: ['mysql://u:p@127.0.0.1:1/app'] } } }),
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain(
      "Database 'default': replica 'mysql://u:***@127.0.0.1:1/app' is not a postgresql URL",
    );
  });
});
