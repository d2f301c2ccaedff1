import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DbService, MultiDbModuleOptions, PoolOptions } from 'nestjs-multidb';
import { startMariaDb, type ThrowawayServer } from 'nestjs-multidb/testing';
import { accountConnections, expectBalanced } from '../fixtures/accounting.js';
import { type Booted, boot } from '../fixtures/boot.js';
import { createDatabase, type Engine, runSql, serverUrl } from '../fixtures/databases.js';

const log = (line: string) => console.log(`[pool-recycle] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  at: number;
  id: number;
}

/** `workers` loops of single queries and small transactions for `ms`, each reporting its server-side connection id. */
async function steadyLoad(db: DbService, key: string, sql: string, ms: number, workers: number) {
  const samples: Sample[] = [];
  const errors: string[] = [];
  const begin = Date.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (Date.now() - begin < ms) {
        try {
          const em = db.em(key).fork();
          const rows =
            worker % 2 === 0
              ? await em.getConnection().execute<{ id: number }[]>(sql)
              : await em.transactional((tx) =>
                  tx.getConnection().execute<{ id: number }[]>(sql, [], 'all', tx.getTransactionContext()),
                );
          samples.push({ at: Date.now() - begin, id: Number(rows[0]?.id) });
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    }),
  );
  return { samples, errors };
}

/** The connection ids seen in a window of the load. */
const idsIn = (samples: Sample[], from: number, to: number) =>
  new Set(samples.filter((s) => s.at >= from && s.at < to).map((s) => s.id));

/** The ids of the load's first 200 ms and of its last 300 ms (from its last sample, however slow the machine). */
function firstAndLast(samples: Sample[]) {
  const end = Math.max(...samples.map((s) => s.at));
  return { first: idsIn(samples, 0, 200), last: idsIn(samples, end - 300, end + 1), end };
}

/** The size of a database's pool as its driver sees it (pg's Pool or mysql2's Pool). */
async function poolTotal(db: DbService, key: string): Promise<number> {
  const connection = db.orm(key).driver.getConnection() as unknown as { getNativeClient(): Promise<unknown> };
  const pool = (await connection.getNativeClient()) as { totalCount?: number; _allConnections?: { length: number } };
  return pool.totalCount ?? pool._allConnections?.length ?? -1;
}

/** Samples the pool's size every 20 ms while `work` runs; the largest size seen. */
async function largestPool<T>(db: DbService, key: string, work: Promise<T>): Promise<{ result: T; largest: number }> {
  let largest = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      largest = Math.max(largest, await poolTotal(db, key));
      await sleep(20);
    }
  })();
  const result = await work;
  done = true;
  await sampler;
  return { result, largest };
}

describe('MariaDB with wait_timeout = 2 s (a server of its own)', () => {
  let maria: ThrowawayServer;
  let booted: Booted | undefined;
  const database = 'recycle';
  const mariaUrl = () => maria.url(database, 'mariadb');

  beforeAll(async () => {
    maria = await startMariaDb();
    await maria.createDatabase(database);
    // the server closes any connection idle for 2 s, as MySQL/MariaDB do after wait_timeout
    await maria.query('SET GLOBAL wait_timeout = 2');
  }, 120_000);
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });
  afterAll(async () => maria?.destroy());

  async function start(pool: PoolOptions): Promise<DbService> {
    const options: MultiDbModuleOptions = { databases: { default: 'sqlite://', auth: { url: mariaUrl(), pool } } };
    booted = await boot(options);
    return booted.db;
  }
  const ids = async (db: DbService, n: number) =>
    (
      await Promise.all(
        Array.from({ length: n }, () =>
          db.em('auth').fork().getConnection().execute<{ id: number }[]>('select connection_id() as id, sleep(0.05)'),
        ),
      )
    ).map((rows) => Number(rows[0]?.id));

  it.each([
    ['the driver defaults', { max: 4 }],
    ['idleTimeout below wait_timeout', { max: 4, idleTimeout: 1000 }],
  ] as const)('after the server closed idle connections, the next requests succeed (%s)', async (_, pool) => {
    const db = await start(pool);
    const before = await ids(db, 8);
    await sleep(3000);
    const after = await ids(db, 8); // rejects if a dead connection were handed out
    log(
      `${JSON.stringify(pool)}: ids before ${[...new Set(before)]}, after the server's idle kill ${[...new Set(after)]}`,
    );
    expect(new Set(after).size).toBeGreaterThan(0);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    await expect
      .poll(async () => (await accountConnections(db, 'auth', maria, database)).server)
      .toBeLessThanOrEqual(4);
    expectBalanced(await accountConnections(db, 'auth', maria, database), 4);
  });

  it('maxLifetime: connection ids change under steady load, the pool stays within max, nothing leaks', async () => {
    const db = await start({ max: 4, maxLifetime: 300 });
    const { result, largest } = await largestPool(
      db,
      'auth',
      steadyLoad(db, 'auth', 'select connection_id() as id', 1800, 8),
    );
    const { samples, errors } = result;
    const { first, last, end } = firstAndLast(samples);
    expect(end).toBeGreaterThan(1000);
    const distinct = new Set(samples.map((s) => s.id));
    log(
      `maxLifetime 300 ms, 8 workers, 1.8 s: ${samples.length} queries, ${distinct.size} connection ids, ` +
        `first 200 ms ${[...first]}, last 300 ms ${[...last]}, largest pool ${largest}, errors ${errors.length}`,
    );
    expect(errors).toEqual([]);
    expect(first.size).toBeGreaterThan(0);
    expect(last.size).toBeGreaterThan(0);
    expect([...last].filter((id) => first.has(id))).toEqual([]);
    expect(distinct.size).toBeGreaterThanOrEqual(8);
    expect(largest).toBeLessThanOrEqual(4);
    // retired connections are gone from the server too: it sees exactly the pool's idle connections
    await expect
      .poll(
        async () => {
          const account = await accountConnections(db, 'auth', maria, database);
          return account.server === account.pool.total && account.serverIdle === account.server;
        },
        { timeout: 5000 },
      )
      .toBe(true);
    expectBalanced(await accountConnections(db, 'auth', maria, database), 4);
  });
});

describe.each(['mariadb', 'postgres'] as const)('%s (the run’s server)', (engine: Engine) => {
  let booted: Booted | undefined;
  let database = '';
  const idSql = engine === 'postgres' ? 'select pg_backend_pid() as id' : 'select connection_id() as id';
  const sessionSql = (name: string) =>
    engine === 'postgres'
      ? `select count(*) as n from pg_stat_activity where datname = '${name}'`
      : `select count(*) as n from information_schema.processlist where db = '${name}'`;
  const serverSessions = async () =>
    Number(
      (await runSql<{ n: number }>(engine, engine === 'postgres' ? 'postgres' : 'mysql', sessionSql(database)))[0]?.n,
    );

  beforeAll(async () => {
    database = await createDatabase(engine, 'recycle');
  });
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  async function start(pool: PoolOptions): Promise<DbService> {
    const scheme = engine === 'postgres' ? 'postgresql' : 'mariadb';
    booted = await boot({
      databases: { default: 'sqlite://', auth: { url: serverUrl(engine, database, scheme), pool } },
    });
    return booted.db;
  }

  // MariaDB's maxLifetime is tested above, on a server that also closes idle connections
  if (engine === 'postgres') {
    it('maxLifetime: connection ids change under steady load, the pool stays within max, nothing leaks', async () => {
      const db = await start({ max: 3, maxLifetime: 300 });
      const { result, largest } = await largestPool(db, 'auth', steadyLoad(db, 'auth', idSql, 1800, 6));
      const { samples, errors } = result;
      const { first, last, end } = firstAndLast(samples);
      expect(end).toBeGreaterThan(1000);
      log(
        `${engine} maxLifetime 300 ms: ${samples.length} queries, ${new Set(samples.map((s) => s.id)).size} ids, ` +
          `first ${[...first]}, last ${[...last]}, largest pool ${largest}, errors ${errors.length}`,
      );
      expect(errors).toEqual([]);
      expect(last.size).toBeGreaterThan(0);
      expect([...last].filter((id) => first.has(id))).toEqual([]);
      expect(largest).toBeLessThanOrEqual(3);
      await expect
        .poll(async () => (await serverSessions()) === (await poolTotal(db, 'auth')), { timeout: 5000 })
        .toBe(true);
      expect(await poolTotal(db, 'auth')).toBeLessThanOrEqual(3);
    });
  }

  it('idleTimeout: idle connections are closed (down to min on pg), on the pool and on the server', async () => {
    const db = await start({ min: 1, max: 4, idleTimeout: 3000 });
    await Promise.all(
      Array.from({ length: 8 }, () => db.em('auth').fork().getConnection().execute(`${idSql}, 1 as busy`)),
    );
    const opened = await poolTotal(db, 'auth');
    expect(opened).toBeGreaterThan(1);
    // not before idleTimeout (mysql2 with MikroORM's own mapping would close them within a second)
    await sleep(700);
    expect(await poolTotal(db, 'auth')).toBe(opened);
    // pg keeps min; mysql2 has no minimum and closes every idle connection
    const kept = engine === 'postgres' ? 1 : 0;
    await expect.poll(() => poolTotal(db, 'auth'), { timeout: 8000 }).toBe(kept);
    await expect.poll(serverSessions, { timeout: 8000 }).toBe(kept);
    log(`${engine} idleTimeout 3000 ms: ${opened} connections open after the burst, ${kept} once idle`);
  });
});
