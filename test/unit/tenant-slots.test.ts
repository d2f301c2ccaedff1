import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidOptionsError,
  MultiDbError,
  type MultiDbModuleOptions,
  TenantBusyError,
  TenantError,
  TenantReleasedError,
} from 'nestjs-multidb';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { Item, timedTenantQuery, within } from '../fixtures/tenant-app.js';

/** A tenant template over SQLite files in `dir`, tenants a…f attached at start-up. */
function options(dir: string, template: Record<string, unknown>, common = {}): MultiDbModuleOptions {
  return {
    databases: {
      default: 'sqlite://',
      tenant: {
        url: 'sqlite:///{tenant}.db',
        ...template,
        tenants: { list: () => [...'abcdef'], ...template.tenants! },
      },
    },
    common,
    entities: [Item],
    rootPath: dir,
  };
}

/** Uses `tenant`'s database, then keeps it in use until `release()`. */
async function hold(booted: Booted, tenant: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const done = booted.db.runForTenant(tenant, async () => {
    await booted.db.em('tenant').getConnection().execute('select 1');
    entered();
    await gate;
  });
  await within(inside, 5_000, `opening ${tenant}`);
  return { release, done };
}

const query = (booted: Booted, tenant: string) => timedTenantQuery(booted.db, tenant);

describe('bounded waits for a tenant slot (runForTenant, maxOpen 2)', () => {
  let dir: string;
  let booted: Booted;
  const releases: Array<() => void> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-slots-unit-'));
    booted = await boot(options(dir, { tenants: { maxOpen: 2, slotTimeout: 400 } }));
  });
  afterEach(() => {
    for (const release of releases.splice(0)) release();
  });
  afterAll(async () => {
    await booted?.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const holdBoth = async () => {
    const held = [await hold(booted, 'a'), await hold(booted, 'b')];
    releases.push(...held.map((h) => h.release));
    return held;
  };

  it('a third tenant gives up after slotTimeout with a TenantBusyError naming template, tenant and maxOpen', async () => {
    await holdBoth();
    const opened = booted.db.tenantStats().opened;
    const { ms, error } = await within(query(booted, 'c'), 5_000, 'tenant c waiting for a slot');
    console.info(`[slots] busy after ${ms} ms (slotTimeout 400)`);
    expect(error).toBeInstanceOf(TenantBusyError);
    expect(error).toBeInstanceOf(TenantError);
    expect(error).toBeInstanceOf(MultiDbError);
    expect(error?.name).toBe('TenantBusyError');
    expect(error).toMatchObject({ key: 'tenant', tenant: 'c', maxOpen: 2, timeoutMs: 400 });
    expect(error?.message).toContain("Tenant 'c' of 'tenant'");
    expect(error?.message).toContain('400 ms');
    expect(error?.message).toContain("'tenants.maxOpen' (2)");
    expect(error?.message).toMatch(/raise 'tenants.maxOpen'.*shorten/i);
    expect(ms).toBeGreaterThanOrEqual(390); // it did wait for a place first
    // it never opened: no ORM, no file
    expect(booted.db.tenantStats()).toMatchObject({ open: 2, inUse: 2, opened });
    expect(existsSync(join(dir, 'c.db'))).toBe(false);
  });

  it('every way of using a busy tenant ends in TenantBusyError: repository, flush, transaction, query builder, schema', async () => {
    await holdBoth();
    const { db } = booted;
    const ways: Record<string, () => Promise<unknown>> = {
      'repository find': () => db.getRepository(Item).findAll(),
      flush: async () => {
        db.em('tenant').create(Item, { id: 1 });
        await db.em('tenant').flush();
      },
      transactional: () => db.em('tenant').transactional((em) => em.count(Item)),
      'query builder': () => (db.em('tenant') as SqlEntityManager).createQueryBuilder(Item).getResultList(),
      createAll: () => db.createAll('tenant'),
      // synchronous: it cannot wait, it fails at once
      getKysely: async () =>
        (db.em('tenant') as SqlEntityManager)
          .getKysely()
          .selectFrom('items' as never)
          .execute(),
    };
    for (const [way, use] of Object.entries(ways)) {
      const error = await within(rejection(db.runForTenant('c', use)), 5_000, way);
      expect(error, way).toBeInstanceOf(TenantBusyError);
    }
    expect(existsSync(join(dir, 'c.db'))).toBe(false);
  });

  it('a timed-out waiter leaves the queue: the next place goes to the next caller', async () => {
    const [a] = await holdBoth();
    await query(booted, 'c'); // times out
    a?.release();
    await a?.done;
    const { error } = await within(query(booted, 'd'), 5_000, 'tenant d');
    expect(error).toBeUndefined();
    expect(booted.db.tenantStats().open).toBe(2);
  });

  it('waiters are served in arrival order, each as soon as a place is released', async () => {
    const [a, b] = await holdBoth();
    const order: string[] = [];
    const c = query(booted, 'e').finally(() => order.push('e'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const d = query(booted, 'f').finally(() => order.push('f'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    a?.release();
    expect((await within(c, 5_000, 'e')).error).toBeUndefined();
    b?.release();
    expect((await within(d, 5_000, 'f')).error).toBeUndefined();
    expect(order).toEqual(['e', 'f']);
    expect(booted.db.tenantStats().peakOpen).toBe(2);
  });
});

describe('a slot freed within slotTimeout is handed to the waiter', () => {
  it('hold 1 s, slotTimeout 5 s: the third tenant gets its place after about 1 s', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multidb-slots-unit-'));
    const booted = await boot(options(dir, { tenants: { maxOpen: 2, slotTimeout: 5_000 } }));
    try {
      const [a, b] = [await hold(booted, 'a'), await hold(booted, 'b')];
      setTimeout(() => a.release(), 1_000);
      const { ms, error } = await within(query(booted, 'c'), 8_000, 'tenant c');
      console.info(`[slots] handed over after ${ms} ms (hold 1000, slotTimeout 5000)`);
      expect(error).toBeUndefined();
      expect(ms).toBeGreaterThanOrEqual(990);
      expect(ms).toBeLessThan(5_000); // it got a's place, not a timeout
      b.release();
      await Promise.all([a.done, b.done]);
      expect(booted.db.tenantStats()).toMatchObject({ open: 2, peakOpen: 2, opened: 3, closed: 1 });
    } finally {
      await booted.app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('slotTimeout defaults to the template acquireTimeout', () => {
  it.each([
    ['the template', { acquireTimeout: 300 }, {}],
    ['common', {}, { acquireTimeout: 300 }],
  ])('from %s', async (_, template, common) => {
    const dir = await mkdtemp(join(tmpdir(), 'multidb-slots-unit-'));
    const booted = await boot(options(dir, { ...template, tenants: { maxOpen: 1 } }, common));
    try {
      const a = await hold(booted, 'a');
      const { ms, error } = await within(query(booted, 'b'), 5_000, 'tenant b');
      expect(error).toBeInstanceOf(TenantBusyError);
      expect(error).toMatchObject({ timeoutMs: 300, maxOpen: 1 });
      expect(ms).toBeGreaterThanOrEqual(290);
      a.release();
      await a.done;
    } finally {
      await booted.app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([0, -1, Number.NaN, '100', 2 ** 31])('refuses slotTimeout %s at start-up', async (slotTimeout) => {
    const error = await rejection(boot(options('/tmp', { tenants: { slotTimeout } })));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("Tenant template 'tenant': 'tenants.slotTimeout' must be");
  });
});

describe('a tenant database kept past its runForTenant', () => {
  it('fails with TenantReleasedError once it was closed to make room, instead of reopening past maxOpen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multidb-slots-unit-'));
    const booted = await boot(options(dir, { tenants: { maxOpen: 1 } }));
    const { db } = booted;
    try {
      const kept = await db.runForTenant('a', async () => {
        await db.em('tenant').getConnection().execute('select 1');
        return db.em('tenant');
      });
      await db.runForTenant('b', () => db.em('tenant').getConnection().execute('select 1')); // a is closed for b
      const error = await rejection(kept.getConnection().execute('select 1'));
      expect(error).toBeInstanceOf(TenantReleasedError);
      expect(error.message).toContain("tenant 'a' of 'tenant' was used after the work that selected it ended");
      expect(db.tenantStats()).toMatchObject({ open: 1, peakOpen: 1, opened: 2, closed: 1 });
    } finally {
      await booted.app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('detach', () => {
  it('detaching a busy tenant twice settles both calls once it is released', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multidb-slots-unit-'));
    const booted = await boot(options(dir, { tenants: { maxOpen: 2 } }));
    try {
      const d = await hold(booted, 'd');
      const settled: string[] = [];
      const first = booted.db.detach('d').then(() => settled.push('first'));
      const second = booted.db.detach('d').then(() => settled.push('second'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(settled).toEqual([]); // still in use
      d.release();
      await within(Promise.all([first, second, d.done]), 5_000, 'both detach calls');
      expect(settled.sort()).toEqual(['first', 'second']);
      expect(booted.db.tenantStats()).toMatchObject({ open: 0, closed: 1 });
      // a third detach of a tenant that is gone settles at once too
      await within(booted.db.detach('d'), 1_000, 'a third detach');
    } finally {
      await booted.app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
