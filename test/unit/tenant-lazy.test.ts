import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { get, rawRequest, startTenantApp, type TenantApp, until, within } from '../fixtures/tenant-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lazy opens: a request takes a tenant slot when it first uses the database (maxOpen 2)', () => {
  let t: TenantApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await startTenantApp({ maxOpen: 2, slotTimeout: 3_000 });
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    t.hooks.releaseAll();
    await until(() => t.db.tenantStats().inUse === 0, 'every tenant released');
  });
  afterAll(() => t?.close());

  it('a request that never touches the database opens nothing', async () => {
    const before = t.db.tenantStats();
    for (const tenant of ['a', 'b', 'c']) expect((await get(t, '/plain', tenant)).status).toBe(200);
    expect(t.db.tenantStats()).toEqual(before);
    expect(['a', 'b', 'c'].filter((x) => existsSync(join(t.dir, `${x}.db`)))).toEqual([]);
  });

  it('raw clients that never read a large non-database reply do not stall other tenants', async () => {
    const before = t.db.tenantStats();
    for (const tenant of ['a', 'b']) sockets.push(await rawRequest(t, '/big', tenant));
    await until(() => t.hooks.entered.includes('big:a') && t.hooks.entered.includes('big:b'), 'both /big handled');
    await sleep(50);
    const c = await within(get(t, '/query', 'c'), 2_000, 'tenant c behind two unread replies');
    console.info(`[lazy] tenant c served in ${c.ms} ms with two unread /big replies open`);
    expect(c.status).toBe(200);
    const after = t.db.tenantStats();
    console.info(`[lazy] opened ${before.opened} -> ${after.opened} (only c)`);
    expect(after.opened - before.opened).toBe(1);
    expect(existsSync(join(t.dir, 'a.db'))).toBe(false);
    expect(existsSync(join(t.dir, 'b.db'))).toBe(false);
  });

  it('every way in opens the tenant on first use: db.em, injected repository, injected EntityManager', async () => {
    expect((await get(t, '/query', 'd')).body).toEqual([{ one: 1 }]);
    expect((await get(t, '/repository', 'd')).body).toEqual([]);
    expect((await get(t, '/transaction', 'd')).body).toEqual([{ two: 2 }]);
    expect(existsSync(join(t.dir, 'd.db'))).toBe(true);
  });

  it('a waiter whose client went away does not open its tenant', async () => {
    for (const tenant of ['a', 'b']) t.hooks.gate(tenant);
    const holds = ['a', 'b'].map((tenant) => get(t, '/hold', tenant));
    await until(() => t.db.tenantStats().inUse === 2, 'a and b held');
    const opened = t.db.tenantStats().opened;
    const gone = await rawRequest(t, '/query', 'e');
    await sleep(300); // e is waiting for a place now
    gone.destroy();
    await sleep(100);
    t.hooks.releaseAll();
    await Promise.all(holds);
    await sleep(200);
    const stats = t.db.tenantStats();
    console.info(`[lazy] client gone while waiting: opened ${opened} -> ${stats.opened}`);
    expect(stats.opened).toBe(opened);
    expect(existsSync(join(t.dir, 'e.db'))).toBe(false);
    expect(stats.open).toBeLessThanOrEqual(2);
    // the places it did not take serve the next requests
    expect((await within(get(t, '/query', 'f'), 2_000, 'tenant f')).status).toBe(200);
  });
});

describe('bounded waits over HTTP (maxOpen 2)', () => {
  it('hold 1 s, slotTimeout 5 s: the third tenant is served after about 1 s', async () => {
    const t = await startTenantApp({ maxOpen: 2, slotTimeout: 5_000 });
    try {
      const holds = ['a', 'b'].map((tenant) => get(t, '/slow?ms=1000', tenant));
      await until(() => t.hooks.entered.length === 2, 'a and b in their handlers');
      const c = await within(get(t, '/query', 'c'), 8_000, 'tenant c');
      console.info(`[slots] HTTP: tenant c served after ${c.ms} ms (hold 1000, slotTimeout 5000)`);
      expect(c.status).toBe(200);
      expect(c.ms).toBeLessThan(5_000);
      await Promise.all(holds);
    } finally {
      await t.close();
    }
  });

  it('held longer than slotTimeout: 503 after the timeout, naming neither tenant nor its key', async () => {
    const t = await startTenantApp({ maxOpen: 2, slotTimeout: 1_000 });
    try {
      let holdsDone = 0;
      const holds = ['a', 'b'].map((tenant) => get(t, '/slow?ms=4000', tenant).then(() => holdsDone++));
      await until(() => t.hooks.entered.length === 2, 'a and b in their handlers');
      const c = await within(get(t, '/query', 'c'), 3_500, 'tenant c');
      console.info(`[slots] HTTP: 503 after ${c.ms} ms (hold 4000, slotTimeout 1000)`);
      expect(holdsDone).toBe(0); // it did not wait for them
      expect(c.status).toBe(503);
      expect(c.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Every tenant database is busy right now; retry later.',
        database: 'tenant',
      });
      expect(c.ms).toBeGreaterThanOrEqual(990);
      await Promise.all(holds);
    } finally {
      await t.close();
    }
  });
});
