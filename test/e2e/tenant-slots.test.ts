import type { IncomingMessage } from 'node:http';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableFilter, DbService, MultiDbModule, TenantBusyError } from 'nestjs-multidb';
import { type Booted, bootWith } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';
import { Item, timedTenantQuery, within } from '../fixtures/tenant-app.js';

const TENANTS = ['p0', 'p1', 'p2'];
const SLOT_TIMEOUT = 3_000;

@Controller()
class PlainController {
  constructor(private readonly db: DbService) {}

  @Get('plain')
  plain() {
    return { ok: true };
  }

  @Get('query')
  query() {
    return this.db.em('tenant').getConnection().execute('select 1 as one');
  }
}

describe('tenant slots over PostgreSQL tenant databases (maxOpen 1)', () => {
  const names: Record<string, string> = {};
  let booted: Booted;

  /** The server's sessions connected to a tenant's database. */
  const sessions = async (tenant: string): Promise<number> => {
    const sql = `select count(*)::int as n from pg_stat_activity where datname = '${names[tenant]}'`;
    return ((await runSql<{ n: number }>('postgres', 'postgres', sql))[0] as { n: number }).n;
  };

  /** Opens `tenant` with a transaction and holds it until `release()`. */
  const hold = async (tenant: string) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const done = booted.db.runForTenant(tenant, () =>
      booted.db.em('tenant').transactional(async (em) => {
        await em.getConnection().execute('select 1');
        entered();
        await gate;
      }),
    );
    await within(inside, 10_000, `opening ${tenant}`);
    return { release, done };
  };

  const query = (tenant: string) => timedTenantQuery(booted.db, tenant);

  beforeAll(async () => {
    for (const tenant of TENANTS) names[tenant] = await createDatabase('postgres', `slots_${tenant}`);
    @Module({
      imports: [
        MultiDbModule.setup({
          databases: {
            default: 'sqlite://',
            tenant: {
              url: serverUrl('postgres', 'never_{tenant}'),
              pool: { min: 0, max: 2 },
              tenants: {
                maxOpen: 1,
                slotTimeout: SLOT_TIMEOUT,
                list: () => TENANTS,
                database: (tenant) => serverUrl('postgres', names[tenant] as string),
              },
            },
          },
          entities: [Item],
          tenantResolver: (req: IncomingMessage) => req.headers['x-tenant']?.toString(),
        }),
      ],
      controllers: [PlainController],
      providers: [{ provide: APP_FILTER, useClass: DatabaseUnavailableFilter }],
    })
    class PgSlotsModule {}
    booted = await bootWith([PgSlotsModule]);
  });

  afterAll(async () => {
    await booted?.app.close();
  });

  it('a request with a tenant header that never uses the database opens no session', async () => {
    const before = booted.db.tenantStats();
    for (const tenant of TENANTS) {
      const response = await request(booted.app.getHttpServer()).get('/plain').set('x-tenant', tenant);
      expect(response.status).toBe(200);
    }
    const counts = await Promise.all(TENANTS.map(sessions));
    console.info(`[pg slots] sessions after /plain for ${TENANTS.join(', ')}: ${counts.join(', ')}`);
    expect(counts).toEqual([0, 0, 0]);
    expect(booted.db.tenantStats()).toEqual(before);
  });

  it('a second tenant waits for the one slot, then fails with TenantBusyError, never connecting', async () => {
    const p0 = await hold('p0');
    expect(await sessions('p0')).toBeGreaterThan(0);
    const { ms, error } = await within(query('p1'), SLOT_TIMEOUT + 5_000, 'tenant p1 waiting for a slot');
    console.info(
      `[pg slots] p1 busy after ${ms} ms (slotTimeout ${SLOT_TIMEOUT}); p1 sessions ${await sessions('p1')}`,
    );
    expect(error).toBeInstanceOf(TenantBusyError);
    expect(error?.message).toContain("Tenant 'p1' of 'tenant'");
    expect(ms).toBeGreaterThanOrEqual(SLOT_TIMEOUT - 10);
    expect(await sessions('p1')).toBe(0);
    expect(booted.db.tenantStats()).toMatchObject({ open: 1, inUse: 1 });
    // over HTTP the same wait is a 503 that names no tenant
    const http = await request(booted.app.getHttpServer()).get('/query').set('x-tenant', 'p2');
    expect(http.status).toBe(503);
    expect(http.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Every tenant database is busy right now; retry later.',
      database: 'tenant',
    });
    expect(await sessions('p2')).toBe(0);
    p0.release();
    await p0.done;
  });

  it('a slot released within slotTimeout goes to the waiter: p0 closes its sessions, p1 opens', async () => {
    const p0 = await hold('p0');
    setTimeout(() => p0.release(), 1_000);
    const { ms, error } = await within(query('p1'), SLOT_TIMEOUT + 5_000, 'tenant p1');
    console.info(`[pg slots] p1 served after ${ms} ms (hold 1000, slotTimeout ${SLOT_TIMEOUT})`);
    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(SLOT_TIMEOUT);
    await p0.done;
    expect(await sessions('p0')).toBe(0); // evicted to make room: its pool is closed
    expect(await sessions('p1')).toBeGreaterThan(0);
    expect(booted.db.tenantStats()).toMatchObject({ open: 1, peakOpen: 1 });
  });
});
