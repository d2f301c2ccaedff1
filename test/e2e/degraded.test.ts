import type { INestApplication } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { DbService, PoolTimeoutError } from 'nestjs-multidb';
import { startMariaDb, startPostgres, type ThrowawayServer } from 'nestjs-multidb/testing';
import { accountConnections, expectBalanced } from '../fixtures/accounting.js';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { jsonClient, startSampleApp } from '../fixtures/sample-app.js';
import { Post, User } from '../fixtures/entities.js';

const ACQUIRE_TIMEOUT_MS = 400;
let pg: ThrowawayServer;
let maria: ThrowawayServer;
let dir: string;

beforeAll(async () => {
  [pg, maria] = await Promise.all([startPostgres(), startMariaDb()]);
  await Promise.all([pg.createDatabase('degraded'), maria.createDatabase('degraded')]);
  dir = await mkdtemp(join(tmpdir(), 'multidb-degraded-'));
}, 120_000);

afterAll(async () => {
  await Promise.all([pg?.destroy(), maria?.destroy()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** How each engine ends one session from the outside, as a crash or a failover would. */
const engines = [
  { key: 'default', server: () => pg, kill: (id: number) => `select pg_terminate_backend(${id})` },
  { key: 'auth', server: () => maria, kill: (id: number) => `kill ${id}` },
] as const;
const sessionIdSql = { default: 'select pg_backend_pid() as id', auth: 'select connection_id() as id' };

describe('connection pools under pressure (PostgreSQL and MariaDB, max 2 connections)', () => {
  let booted: Booted;
  let db: DbService;

  beforeAll(async () => {
    booted = await boot({
      databases: {
        default: { url: pg.url('degraded'), pool: { max: 2 } },
        auth: { url: maria.url('degraded', 'mariadb'), pool: { max: 2 } },
        meta: `sqlite:///${join(dir, 'meta.db')}`,
      },
      common: { acquireTimeout: ACQUIRE_TIMEOUT_MS },
      entities: [Post, User],
    });
    db = booted.db;
    await db.createAll();
  }, 60_000);

  afterAll(async () => {
    // closing waits for every checked-out connection: a leak would hang here
    await booted?.app.close();
  });

  const fork = (key: string) => db.orm(key).em.fork() as unknown as SqlEntityManager;
  const expectNoLeak = async (key: 'default' | 'auth', server: ThrowawayServer) => {
    expectBalanced(await accountConnections(db, key, server, 'degraded'), 2);
  };

  for (const { key, server } of engines) {
    it(`'${key}': with every connection busy, a query waits the acquire timeout and fails naming the key; the pool recovers`, async () => {
      const [first, second] = [fork(key), fork(key)];
      await first.begin(); // each transaction holds one of the 2 connections
      await second.begin();
      try {
        const begin = performance.now();
        const error = await rejection(fork(key).execute('select 1'));
        const waited = performance.now() - begin;
        expect(error).toBeInstanceOf(PoolTimeoutError);
        expect(error.message).toContain(`Database '${key}': no connection became free within ${ACQUIRE_TIMEOUT_MS} ms`);
        expect(error.message).toContain('all 2 pooled connections are busy');
        expect((error as PoolTimeoutError).key).toBe(key);
        expect(waited).toBeGreaterThanOrEqual(ACQUIRE_TIMEOUT_MS - 5);
        expect(waited).toBeLessThan(ACQUIRE_TIMEOUT_MS + 2000);

        // a waiter that is still queued when a connection frees up gets it
        const queued = fork(key).execute('select 2 as v');
        await first.commit();
        expect(await queued).toEqual([{ v: 2 }]);
      } finally {
        if (first.isInTransaction()) await first.rollback();
        await second.rollback();
      }
      await expectNoLeak(key, server());
    });
  }

  for (const { key, server, kill } of engines) {
    it(`'${key}': a transaction whose connection dies gives the connection back (Kysely keeps it otherwise)`, async () => {
      for (const end of ['commit', 'rollback'] as const) {
        for (let i = 0; i < 3; i++) {
          const em = fork(key);
          await em.begin();
          const [row] = await em.execute<{ id: number }[]>(sessionIdSql[key]);
          await server().query(kill(Number(row?.id)));
          const error = await rejection(end === 'commit' ? em.commit() : em.rollback());
          expect(error.message).not.toContain(server().password);
          await em.rollback().catch(() => {}); // what a caller's catch block does; must not release twice
        }
      }
      // 6 dead transactions on a pool of 2: it still serves, and holds nothing it cannot account for
      expect(await fork(key).execute('select 3 as v')).toEqual([{ v: 3 }]);
      await expectNoLeak(key, server());
    });
  }

  it("'meta' (SQLite, one connection): a query behind an open transaction waits the acquire timeout, then fails", async () => {
    const holder = fork('meta');
    await holder.begin();
    try {
      const error = await rejection(fork('meta').execute('select 1'));
      expect(error).toBeInstanceOf(PoolTimeoutError);
      expect(error.message).toContain(
        `Database 'meta': no connection became free within ${ACQUIRE_TIMEOUT_MS} ms (its one connection is busy`,
      );
      const queued = fork('meta').execute('select 4 as v');
      await holder.commit();
      expect(await queued).toEqual([{ v: 4 }]);
    } finally {
      if (holder.isInTransaction()) await holder.rollback();
    }
  });
});

describe('a lazy database that is down at start-up (sample app, PostgreSQL stopped)', () => {
  let app: INestApplication;
  let base = '';
  const call = jsonClient(() => base, []);

  beforeAll(async () => {
    await Promise.all([pg.createDatabase('lazy_main'), maria.createDatabase('lazy_users')]);
    const env = {
      DATABASE_URL: pg.url('lazy_main'),
      AUTH_DATABASE_URL: maria.url('lazy_users', 'mariadb'),
      META_DATABASE_URL: `sqlite:///${join(dir, 'lazy-meta.db')}`,
      HEALTH_TIMEOUT_MS: '1000',
    };
    // a first start creates the schema; then the server goes away and the app restarts without it
    await (await startSampleApp(env)).app.close();
    await pg.stop();
    const refused = await rejection(startSampleApp(env));
    expect(refused.message).toMatch(
      /^Database 'default' \(postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/lazy_main\) could not be reached at start-up/,
    );
    ({ app, url: base } = await startSampleApp({ ...env, DB_LAZY: 'default' }));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('starts degraded: health shows default down, its requests get 503, the others work', async () => {
    expect(app.get(DbService).unreachableAtStart).toEqual(['default']);
    const health = await call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body.details.default.status).toBe('down');
    expect(health.body.details.auth.status).toBe('up');
    const user = await call('POST', '/users', { email: 'lazy@example.com', displayName: 'Lazy' });
    expect(user.status).toBe(201);
    expect(await call('POST', '/posts', { title: 'x', body: '', authorId: user.body.id })).toMatchObject({
      status: 503,
      body: { database: 'default' },
    });
  });

  it('comes up by itself once the server appears, without a restart', async () => {
    await pg.start();
    const up = performance.now();
    await expect
      .poll(async () => (await call('POST', '/posts', { title: 'Back', body: '', authorId: 1 })).status, {
        timeout: 5_000,
        interval: 100,
      })
      .toBe(201);
    console.log(
      `[lazy] 'default' served its first write ${Math.round(performance.now() - up)} ms after its server started`,
    );
    expect((await call('GET', '/health')).status).toBe(200);
  });
});

describe('two-phase recovery at start-up with a lazy database down (MariaDB stopped)', () => {
  it('starts, leaving that database out of recovery; recoverTransactions() covers it once it is back', async () => {
    await Promise.all([pg.createDatabase('lazy_tx_main'), maria.createDatabase('lazy_tx_users')]);
    const options = (lazy: boolean) => ({
      databases: { default: pg.url('lazy_tx_main'), auth: { url: maria.url('lazy_tx_users', 'mariadb'), lazy } },
      entities: [Post, User],
      transactions: { recoverOnStart: true },
    });
    const transfer = (db: DbService, id: number) =>
      db.transaction(
        ['default', 'auth'],
        ({ default: main, auth }) => {
          main.create(Post, { id, title: `both ${id}` });
          auth.create(User, { id, email: `both${id}@example.com` });
        },
        { twoPhase: true },
      );
    // a first run creates the tables and the coordinator log, so start-up recovery has work to look at
    const first = await boot(options(false));
    await first.db.createAll();
    await transfer(first.db, 1);
    await first.app.close();

    await maria.stop();
    const booted = await boot(options(true));
    try {
      expect(booted.db.unreachableAtStart).toEqual(['auth']);
      await maria.start();
      expect(await booted.db.recoverTransactions()).toMatchObject({ committed: [], rolledBack: [] });
      await transfer(booted.db, 2);
      expect(await booted.db.orm('auth').em.fork().count(User)).toBe(2);
    } finally {
      await booted.app.close();
    }
  });
});
