import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DbService, pingDatabase } from 'nestjs-multidb';
import { MultiDbHealthIndicator } from 'nestjs-multidb/health';
import { type Booted, boot } from '../fixtures/boot.js';

const DATABASES = {
  default: 'sqlite://',
  meta: 'sqlite:///:memory:',
  shop: { url: 'sqlite://', tenants: {} },
};

@Controller()
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly databases: MultiDbHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.databases.isHealthy(['default', 'nope', 'shop'], { timeout: 1000 })]);
  }
}

describe('pingDatabase never throws: every failure is a `down` result with its reason', () => {
  let booted: Booted;
  let db: DbService;

  beforeAll(async () => {
    booted = await boot(
      { databases: DATABASES },
      { imports: [TerminusModule], controllers: [HealthController], providers: [MultiDbHealthIndicator] },
    );
    db = booted.db;
    await db.attach('acme', undefined, 'shop');
  });

  afterAll(async () => {
    await booted?.app.close();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('an unknown key: down, naming the key and the configured ones', async () => {
    const ping = await pingDatabase(db, 'nope');
    expect(ping).toMatchObject({ key: 'nope', status: 'down' });
    expect(ping.error).toContain("Unknown database key 'nope'. Configured keys: 'default', 'meta', 'shop'");
    expect(ping.driver).toBeUndefined();
    expect(ping.url).toBeUndefined();
  });

  it('a tenant template outside a tenant: down, saying how to select one; inside runForTenant: up', async () => {
    const outside = await pingDatabase(db, 'shop');
    expect(outside).toMatchObject({ key: 'shop', status: 'down' });
    expect(outside.error).toContain("Database 'shop' is a tenant template and no tenant is selected here");
    const inside = await db.runForTenant('acme', () => pingDatabase(db, 'shop'));
    expect(inside).toMatchObject({ key: 'shop', status: 'up', driver: 'sqlite' });
  });

  it('a driver error, rejected or thrown, of any type: down with the reason, URLs masked', async () => {
    const orm = db.orm('meta');
    const check = vi.spyOn(orm, 'checkConnection');
    check.mockRejectedValueOnce(new Error('driver exploded near postgresql://app:hunter2@db/main'));
    const rejected = await pingDatabase(db, 'meta');
    expect(rejected).toMatchObject({ key: 'meta', status: 'down', driver: 'sqlite' });
    expect(rejected.error).toBe('driver exploded near postgresql://app:***@db/main');

    check.mockImplementationOnce(() => {
      throw 'a bare string';
    });
    expect(await pingDatabase(db, 'meta')).toMatchObject({ status: 'down', error: 'a bare string' });

    check.mockRejectedValueOnce(Object.create(null));
    expect(await pingDatabase(db, 'meta')).toMatchObject({ status: 'down', error: 'unknown error' });

    vi.spyOn(db, 'orm').mockImplementationOnce(() => {
      throw new TypeError('the ORM is gone');
    });
    expect(await pingDatabase(db, 'meta')).toMatchObject({ status: 'down', error: 'the ORM is gone' });
    expect(await pingDatabase(db, 'meta')).toMatchObject({ status: 'up' });
  });

  it('a timeout that is not a positive number falls back to the default instead of failing at once', async () => {
    // a server that takes 30 ms to answer
    vi.spyOn(db.orm('default'), 'checkConnection').mockImplementation(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { ok: true };
    });
    for (const timeout of [Number.NaN, -5, 0]) {
      expect({ timeout, status: (await pingDatabase(db, 'default', { timeout })).status }).toEqual({
        timeout,
        status: 'up',
      });
    }
  });

  it('the Terminus indicator keeps working: one key up, the unknown one and the template down, HTTP 503', async () => {
    const response = await request(booted.app.getHttpServer()).get('/health');
    expect(response.status).toBe(503);
    expect(response.body.details.default).toMatchObject({ status: 'up', driver: 'sqlite' });
    expect(response.body.details.nope).toMatchObject({ status: 'down' });
    expect(response.body.details.nope.error).toContain("Unknown database key 'nope'");
    expect(response.body.details.shop).toMatchObject({ status: 'down' });
  });
});

describe('pingDatabase on a closed database', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-ping-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports it down as closed and does not reopen it', async () => {
    const { app, db } = await boot({ databases: { default: `sqlite:///${join(dir, 'closed.db')}` } });
    expect(await pingDatabase(db, 'default')).toMatchObject({ status: 'up' });
    await app.close();
    const ping = await pingDatabase(db, 'default');
    expect(ping).toMatchObject({ key: 'default', status: 'down', driver: 'sqlite' });
    expect(ping.error).toContain("Database 'default' is closed");
    expect(await db.orm('default').isConnected()).toBe(false);
  });
});
