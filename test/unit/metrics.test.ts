import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DbService, MultiDbError, MultiDbModule, PoolTimeoutError } from 'nestjs-multidb';
import {
  MetricsSetupError,
  MultiDbMetrics,
  MultiDbMetricsModule,
  registerMultiDbMetrics,
} from 'nestjs-multidb/metrics';
import { loadPromClient } from '../../src/metrics/prom-client.js';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { parsePrometheus, sampleOf } from '../fixtures/prometheus.js';
import { Item, until } from '../fixtures/tenant-app.js';

/** Holds a transaction (one checked-out connection) on `key` until `release()`. */
async function holdConnection(booted: Booted, key: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const done = (booted.db.orm(key).em.fork() as SqlEntityManager).transactional(async (em) => {
    await em.execute('select 1');
    entered();
    await gate;
  });
  await inside;
  return { release, done };
}

const select = (booted: Booted, key: string) => booted.db.orm(key).em.fork().getConnection().execute('select 1');

describe('db.stats(): SQLite pools and a tenant template (maxOpen 1)', () => {
  let dir: string;
  let booted: Booted;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-metrics-unit-'));
    booted = await boot({
      databases: {
        default: { url: 'sqlite:///main.db', acquireTimeout: 300 },
        tenant: { url: 'sqlite:///t_{tenant}.db', tenants: { maxOpen: 1, list: () => ['a', 'b', 'c'] } },
      },
      entities: [Item],
      rootPath: dir,
    });
  });
  afterAll(async () => {
    await booted?.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports each key: pool bounds, and an idle pool at rest', () => {
    const stats = booted.db.stats();
    expect(Object.keys(stats)).toEqual(['default', 'tenant']);
    expect(stats.default).toMatchObject({ key: 'default', driver: 'sqlite' });
    expect(stats.default?.pool).toEqual({
      max: 1,
      min: 0,
      total: 1,
      inUse: 0,
      idle: 1,
      waiting: 0,
      acquireTimeouts: 0,
    });
    expect(stats.default?.replicas).toBeUndefined();
    expect(stats.tenant?.tenants).toMatchObject({ mode: 'database', attached: 3, open: 0, opened: 0, evicted: 0 });
  });

  it('in use and waiting move while the connection is held, and fall back to 0 after', async () => {
    const held = await holdConnection(booted, 'default');
    const waits = [select(booted, 'default'), select(booted, 'default')];
    await until(() => booted.db.stats().default?.pool.waiting === 2, 'two queries waiting');
    const during = booted.db.stats().default?.pool;
    console.info(`[metrics] held: ${JSON.stringify(during)}`);
    expect(during).toMatchObject({ inUse: 1, idle: 0, waiting: 2, total: 1 });
    held.release();
    await Promise.all([held.done, ...waits]);
    await until(() => booted.db.stats().default?.pool.inUse === 0, 'connection given back');
    expect(booted.db.stats().default?.pool).toMatchObject({ inUse: 0, waiting: 0, idle: 1 });
  });

  it('counts waits that gave up after acquireTimeout', async () => {
    const before = booted.db.stats().default?.pool.acquireTimeouts ?? -1;
    const held = await holdConnection(booted, 'default');
    const error = await rejection(select(booted, 'default'));
    held.release();
    await held.done;
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect(booted.db.stats().default?.pool.acquireTimeouts).toBe(before + 1);
  });

  it('counts tenant opens and evictions (maxOpen 1: each new tenant evicts the last)', async () => {
    for (const tenant of ['a', 'b', 'c', 'a'])
      await booted.db.runForTenant(tenant, () => booted.db.em('tenant').getConnection().execute('select 1'));
    const stats = booted.db.stats().tenant;
    console.info(`[metrics] tenants after a,b,c,a: ${JSON.stringify(stats?.tenants)}`);
    expect(stats?.tenants).toMatchObject({ attached: 3, open: 1, opened: 4, evicted: 3, closed: 3, waiting: 0 });
    expect(stats?.pool).toMatchObject({ max: 1, total: 1, inUse: 0, idle: 1 });
  });
});

describe('db.stats(): a tenant template keeps its acquire timeouts when the tenant that had them is evicted', () => {
  let dir: string;
  let booted: Booted;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-metrics-evict-'));
    booted = await boot({
      databases: {
        default: 'sqlite://',
        tenant: {
          url: 'sqlite:///t_{tenant}.db',
          acquireTimeout: 200,
          tenants: { maxOpen: 1, list: () => ['a', 'b'] },
        },
      },
      entities: [Item],
      rootPath: dir,
    });
  });
  afterAll(async () => {
    await booted?.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a timeout in tenant a is counted under the template, and still after b evicted a', async () => {
    const error = await booted.db.runForTenant('a', async () => {
      const em = booted.db.em('tenant') as SqlEntityManager;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const held = em.fork().transactional(async (tx) => {
        await tx.execute('select 1');
        entered();
        await gate;
      });
      await inside;
      const failed = await rejection(em.fork().getConnection().execute('select 1'));
      release();
      await held;
      return failed;
    });
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect(booted.db.stats().tenant?.pool.acquireTimeouts).toBe(1);
    await booted.db.runForTenant('b', () => booted.db.em('tenant').getConnection().execute('select 1'));
    const stats = booted.db.stats().tenant;
    expect(stats?.tenants).toMatchObject({ evicted: 1, open: 1 });
    expect(stats?.pool.acquireTimeouts).toBe(1);
  });
});

describe('nestjs-multidb/metrics: prom-client registry over SQLite', () => {
  let dir: string;
  let booted: Booted;
  const registry = new Registry();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-metrics-prom-'));
    booted = await boot({
      databases: {
        default: 'sqlite:///main.db',
        meta: 'sqlite:///meta.db',
        tenant: { url: 'sqlite:///t_{tenant}.db', tenants: { maxOpen: 1, list: () => ['a', 'b'] } },
      },
      entities: [Item],
      rootPath: dir,
    });
  });
  afterAll(async () => {
    await booted?.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the scraped text parses as exposition format, gauges and counters labelled by key and template', async () => {
    const handle = await registerMultiDbMetrics(booted.db, { registry });
    try {
      const held = await holdConnection(booted, 'meta');
      for (const tenant of ['a', 'b'])
        await booted.db.runForTenant(tenant, () => booted.db.em('tenant').getConnection().execute('select 1'));
      const during = parsePrometheus(await registry.metrics());
      held.release();
      await held.done;
      const after = parsePrometheus(await registry.metrics());
      expect(during.get('multidb_pool_in_use')?.type).toBe('gauge');
      expect(during.get('multidb_pool_acquire_timeouts_total')?.type).toBe('counter');
      expect(sampleOf(during, 'multidb_pool_in_use', { key: 'meta', pool: 'primary' })).toBe(1);
      expect(sampleOf(after, 'multidb_pool_in_use', { key: 'meta', pool: 'primary' })).toBe(0);
      expect(sampleOf(after, 'multidb_pool_max', { key: 'default' })).toBe(1);
      expect(sampleOf(after, 'multidb_tenants_opened_total', { template: 'tenant', mode: 'database' })).toBe(2);
      expect(sampleOf(after, 'multidb_tenants_evicted_total', { template: 'tenant' })).toBe(1);
      expect(sampleOf(after, 'multidb_tenants_attached', { template: 'tenant' })).toBe(2);
      // SQLite only: no database can prepare a two-phase transaction, so the gauge has no sample
      expect(after.get('multidb_two_phase_in_doubt')?.samples).toEqual([]);
    } finally {
      handle.unregister();
    }
    expect(await registry.metrics()).not.toContain('multidb_');
  });

  it('a second registration in the same registry is a MetricsSetupError naming the metric', async () => {
    const handle = await registerMultiDbMetrics(booted.db, { registry, prefix: 'app_' });
    try {
      const error = await rejection(registerMultiDbMetrics(booted.db, { registry, prefix: 'app_' }));
      expect(error).toBeInstanceOf(MetricsSetupError);
      expect(error.message).toContain("'app_pool_max'");
    } finally {
      handle.unregister();
    }
  });

  it('prom-client missing: a MultiDbError that says how to install it', async () => {
    const error = await rejection(loadPromClient(() => import('prom-client-not-installed' as string)));
    expect(error).toBeInstanceOf(MultiDbError);
    expect(error).toBeInstanceOf(MetricsSetupError);
    expect(error.message).toContain('npm install prom-client');
  });
});

describe('MultiDbMetricsModule.forRoot({ path }) / forRootAsync: serves /metrics, and unregisters on shutdown', () => {
  it('forRootAsync takes its options from a factory (here: a registry and a prefix); path beside it', async () => {
    const registry = new Registry();
    const booted = await boot(
      { databases: { default: 'sqlite://', meta: 'sqlite://' } },
      {
        imports: [
          MultiDbMetricsModule.forRootAsync({
            path: 'ops/metrics',
            useFactory: async () => ({ registry, prefix: 'svc_' }),
          }),
        ],
      },
    );
    try {
      const metrics = booted.app.get(MultiDbMetrics);
      expect(await metrics.registry()).toBe(registry);
      const families = parsePrometheus((await request(booted.app.getHttpServer()).get('/ops/metrics')).text);
      expect(sampleOf(families, 'svc_pool_max', { key: 'meta', pool: 'primary' })).toBe(1);
      expect(families.has('multidb_pool_max')).toBe(false);
    } finally {
      await booted.app.close();
    }
    expect(await registry.metrics()).not.toContain('svc_');
  });

  it('a start-up that fails (another onModuleInit throws) leaves nothing in the registry', async () => {
    const registry = new Registry();
    @Injectable()
    class FailsToStart implements OnModuleInit {
      onModuleInit(): void {
        throw new Error('start-up failed on purpose');
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        MultiDbModule.setup({ databases: { default: 'sqlite://' } }),
        MultiDbMetricsModule.forRoot({ registry }),
      ],
      providers: [FailsToStart],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    expect((await rejection(app.init())).message).toBe('start-up failed on purpose');
    await app.get(DbService).close();
    expect(await registry.metrics()).not.toContain('multidb_');
    const booted = await boot(
      { databases: { default: 'sqlite://' } },
      { imports: [MultiDbMetricsModule.forRoot({ registry })] },
    );
    await booted.app.close();
  });

  it('serves the metrics, and an application started twice in one process (same registry) does not clash', async () => {
    const registry = new Registry();
    for (let round = 0; round < 2; round++) {
      const booted = await boot(
        { databases: { default: 'sqlite://' } },
        { imports: [MultiDbMetricsModule.forRoot({ path: 'metrics', registry })] },
      );
      try {
        const response = await request(booted.app.getHttpServer()).get('/metrics');
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
        const families = parsePrometheus(response.text);
        expect(sampleOf(families, 'multidb_pool_connections', { key: 'default', pool: 'primary' })).toBe(1);
      } finally {
        await booted.app.close();
      }
    }
  });
});
