import type { SqlEntityManager } from '@mikro-orm/sql';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolTimeoutError } from 'nestjs-multidb';
import { registerMultiDbMetrics } from 'nestjs-multidb/metrics';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { createDatabase, serverUrl } from '../fixtures/databases.js';
import { parsePrometheus, sampleOf } from '../fixtures/prometheus.js';
import { Item, until } from '../fixtures/tenant-app.js';
import { formatGlobalId, logTag, xaId } from '../../src/transactions/global-id.js';
import { HeldConnection } from '../../src/transactions/held-connection.js';

const POOL_MAX = 3;
const KEYS = ['default', 'auth', 'meta'] as const;
const sleepSql = { default: 'select pg_sleep(0.3)', auth: 'select sleep(0.3)', meta: 'select 1' } as const;
const TENANTS = ['a', 'b', 'c'];

describe('metrics on PostgreSQL + MariaDB + SQLite: pools of 3 under load, a PostgreSQL tenant template (maxOpen 1)', () => {
  let booted: Booted;
  let dir: string;
  let pgName: string;
  const registry = new Registry();
  const names: Record<string, string> = {};
  const scrape = async () => parsePrometheus(await registry.metrics());
  const pool = (key: string) => booted.db.stats()[key]?.pool;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-metrics-e2e-'));
    const [pg, maria] = await Promise.all([
      createDatabase('postgres', 'metrics'),
      createDatabase('mariadb', 'metrics'),
    ]);
    pgName = pg;
    for (const tenant of TENANTS) names[tenant] = await createDatabase('postgres', `metrics_${tenant}`);
    const pool = { min: 0, max: POOL_MAX };
    booted = await boot({
      databases: {
        default: { url: serverUrl('postgres', pg), pool, acquireTimeout: 1500 },
        auth: { url: serverUrl('mariadb', maria, 'mariadb'), pool, acquireTimeout: 1500 },
        meta: 'sqlite:///meta.db',
        tenant: {
          url: serverUrl('postgres', 'never_{tenant}'),
          pool: { min: 0, max: 2 },
          tenants: {
            maxOpen: 1,
            list: () => TENANTS,
            database: (tenant) => serverUrl('postgres', names[tenant] as string),
          },
        },
      },
      entities: [Item],
      rootPath: dir,
    });
    await registerMultiDbMetrics(booted.db, { registry });
  });
  afterAll(async () => {
    await booted?.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('in use reaches the pool size and queries wait while 6 run at once on each; both fall back to 0 after', async () => {
    const load = KEYS.flatMap((key) =>
      Array.from({ length: 6 }, () => booted.db.orm(key).em.fork().getConnection().execute(sleepSql[key])),
    );
    await until(
      () => pool('default')?.inUse === POOL_MAX && pool('auth')?.inUse === POOL_MAX,
      'both server pools fully in use',
    );
    const seen = Object.fromEntries(KEYS.map((key) => [key, pool(key)]));
    const during = await scrape();
    console.info(`[metrics] under load: ${JSON.stringify(seen)}`);
    for (const key of ['default', 'auth']) {
      expect(sampleOf(during, 'multidb_pool_in_use', { key, pool: 'primary' })).toBe(POOL_MAX);
      expect(sampleOf(during, 'multidb_pool_waiting', { key, pool: 'primary' })).toBeGreaterThan(0);
      expect(sampleOf(during, 'multidb_pool_connections', { key, pool: 'primary' })).toBe(POOL_MAX);
      expect(sampleOf(during, 'multidb_pool_max', { key, pool: 'primary' })).toBe(POOL_MAX);
    }
    await Promise.all(load);
    await until(() => KEYS.every((key) => pool(key)?.inUse === 0), 'every connection given back');
    const after = await scrape();
    for (const key of KEYS) {
      expect(sampleOf(after, 'multidb_pool_in_use', { key, pool: 'primary' })).toBe(0);
      expect(sampleOf(after, 'multidb_pool_waiting', { key, pool: 'primary' })).toBe(0);
    }
    for (const key of ['default', 'auth']) {
      const idle = sampleOf(after, 'multidb_pool_idle', { key, pool: 'primary' });
      expect(idle).toBe(sampleOf(after, 'multidb_pool_connections', { key, pool: 'primary' }));
      expect(idle).toBeGreaterThan(0);
    }
  });

  it('counts acquire timeouts per key while every connection is held by a transaction', async () => {
    for (const key of ['default', 'auth'] as const) {
      const before = pool(key)?.acquireTimeouts ?? -1;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const holders = Array.from({ length: POOL_MAX }, () =>
        (booted.db.orm(key).em.fork() as SqlEntityManager).transactional(async (em) => {
          await em.execute('select 1');
          await gate;
        }),
      );
      await until(() => pool(key)?.inUse === POOL_MAX, `${key}: every connection held`);
      const error = await rejection(booted.db.orm(key).em.fork().getConnection().execute('select 1'));
      release();
      await Promise.all(holders);
      expect(error).toBeInstanceOf(PoolTimeoutError);
      const scraped = await scrape();
      expect(sampleOf(scraped, 'multidb_pool_acquire_timeouts_total', { key, pool: 'primary' })).toBe(before + 1);
    }
  });

  it('counts tenant opens and evictions on PostgreSQL tenant databases, and sums their pools under the template', async () => {
    for (const tenant of [...TENANTS, 'a'])
      await booted.db.runForTenant(tenant, () => booted.db.em('tenant').getConnection().execute('select 1'));
    const scraped = await scrape();
    const labels = { template: 'tenant', mode: 'database' };
    expect(sampleOf(scraped, 'multidb_tenants_opened_total', labels)).toBe(4);
    expect(sampleOf(scraped, 'multidb_tenants_evicted_total', labels)).toBe(3);
    expect(sampleOf(scraped, 'multidb_tenants_open', labels)).toBe(1);
    expect(sampleOf(scraped, 'multidb_tenants_attached', labels)).toBe(3);
    expect(sampleOf(scraped, 'multidb_pool_max', { key: 'tenant', pool: 'primary' })).toBe(2);
    expect(sampleOf(scraped, 'multidb_pool_in_use', { key: 'tenant', pool: 'primary' })).toBe(0);
    expect(sampleOf(scraped, 'multidb_pool_connections', { key: 'tenant', pool: 'primary' })).toBeGreaterThan(0);
  });

  it('counts two-phase transactions left prepared (in doubt) on PostgreSQL and MariaDB, not on SQLite', async () => {
    const inDoubt = async (key: string) => sampleOf(await scrape(), 'multidb_two_phase_in_doubt', { key });
    expect([await inDoubt('default'), await inDoubt('auth'), await inDoubt('meta')]).toEqual([0, 0, undefined]);
    // what a crash between PREPARE and COMMIT leaves behind: one prepared branch per database, named as ours
    const tag = logTag(pgName, 'multidb_transactions');
    const pgGid = formatGlobalId({ tag, id: 901, key: 'default' });
    const xid = xaId({ tag, id: 901, key: 'auth' });
    const pgSession = await HeldConnection.open(booted.db.orm('default').em.getConnection('write'));
    await pgSession.run('begin');
    await pgSession.run(`prepare transaction '${pgGid}'`);
    await pgSession.release();
    const xaSession = await HeldConnection.open(booted.db.orm('auth').em.getConnection('write'));
    for (const step of ['start', 'end', 'prepare']) await xaSession.run(`xa ${step} ${xid}`);
    await xaSession.release();
    try {
      expect(await booted.db.inDoubtTransactions()).toEqual({ default: 1, auth: 1 });
      expect([await inDoubt('default'), await inDoubt('auth')]).toEqual([1, 1]);
    } finally {
      await booted.db.orm('default').em.getConnection().execute(`rollback prepared '${pgGid}'`);
      await booted.db.orm('auth').em.getConnection().execute(`xa rollback ${xid}`);
    }
    expect([await inDoubt('default'), await inDoubt('auth')]).toEqual([0, 0]);
  });

  it("shows the two-phase coordinator log's own pool on the coordinator's key, apart from its primary pool", async () => {
    const coordinator = () => booted.db.stats().default?.coordinator;
    let stats: ReturnType<typeof booted.db.stats> = {};
    let scraped: Awaited<ReturnType<typeof scrape>> = new Map();
    await booted.db.transaction(
      ['default', 'auth'],
      async (ems) => {
        await Promise.all([ems.default, ems.auth].map((em) => em.getConnection().execute('select 1')));
        stats = booted.db.stats();
        scraped = await scrape();
      },
      { twoPhase: true },
    );
    // a transaction holds its coordinator session from start to end, outside the database's own pool
    expect(stats).toMatchObject({
      default: { coordinator: { max: POOL_MAX, inUse: 1, waiting: 0 }, pool: { inUse: 1 } },
      auth: { pool: { inUse: 1 } },
    });
    expect(stats.auth).not.toHaveProperty('coordinator');
    expect(sampleOf(scraped, 'multidb_pool_in_use', { key: 'default', pool: 'coordinator' })).toBe(1);
    expect(sampleOf(scraped, 'multidb_pool_max', { key: 'default', pool: 'coordinator' })).toBe(POOL_MAX);
    expect(sampleOf(scraped, 'multidb_pool_in_use', { key: 'auth', pool: 'coordinator' })).toBeUndefined();
    await until(() => coordinator()?.inUse === 0, 'the coordinator session given back');
    expect(coordinator()?.idle).toBe(coordinator()?.total);
    expect(coordinator()?.total).toBeGreaterThan(0);
  });
});
