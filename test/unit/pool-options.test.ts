import { MikroORM } from '@mikro-orm/core';
import { MySqlDriver } from '@mikro-orm/mysql';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from 'nestjs-multidb';
import { resolveDatabases } from '../../src/config/resolve-databases.js';
import { startupHarness, withAuth } from '../fixtures/startup.js';

const { startupError } = startupHarness();

describe('one pool shape, mapped onto each driver', () => {
  const pool = { min: 1, max: 5, idleTimeout: 30_000, maxLifetime: 1_800_000 };
  const resolved = (url: string, options: object = {}) =>
    resolveDatabases({ databases: { default: { url, pool, ...options } } })[0]?.options as Record<string, unknown>;

  it('PostgreSQL: pg gets min, max, idleTimeoutMillis and maxLifetimeSeconds', async () => {
    const options = resolved('postgresql://app:pw@127.0.0.1:1/main');
    expect(options.pool).toEqual({ min: 1, max: 5, idleTimeoutMillis: 30_000 });
    expect(options.driverOptions).toEqual({ maxLifetimeSeconds: 1800 });
    // what MikroORM 7.2.1 hands to pg's Pool (no connection is opened)
    const orm = new MikroORM({ ...options, driver: PostgreSqlDriver, entities: [] } as never);
    const connection = orm.driver.getConnection() as unknown as { mapOptions(o: object): Record<string, unknown> };
    expect(connection.mapOptions(options.driverOptions as object)).toMatchObject({
      min: 1,
      max: 5,
      idleTimeoutMillis: 30_000,
      maxLifetimeSeconds: 1800,
    });
  });

  it('MySQL/MariaDB: mysql2 gets connectionLimit, idleTimeout and maxIdle; maxLifetime stays for the release hook', () => {
    for (const url of ['mysql://app:pw@127.0.0.1:1/main', 'mariadb://app:pw@127.0.0.1:1/main']) {
      const options = resolved(url);
      expect(options.pool).toEqual({ min: 1, max: 5, idleTimeoutMillis: 30_000, maxLifetime: 1_800_000 });
      // mysql2 sweeps idle connections only above maxIdle, which must stay below connectionLimit
      expect(options.driverOptions).toEqual({ maxIdle: 4 });
      const orm = new MikroORM({ ...options, driver: MySqlDriver, entities: [] } as never);
      const connection = orm.driver.getConnection() as unknown as { mapOptions(o: object): Record<string, unknown> };
      expect(connection.mapOptions(options.driverOptions as object)).toMatchObject({
        connectionLimit: 5,
        idleTimeout: 30_000,
        maxIdle: 4,
      });
    }
  });

  it('SQLite has no pool: idleTimeout and maxLifetime are dropped', () => {
    expect(resolved('sqlite://').pool).toEqual({ min: 1, max: 5 });
  });

  it("common's pool and a database's merge; MikroORM's idleTimeoutMillis is idleTimeout; driverOptions win", () => {
    const [db] = resolveDatabases({
      databases: { default: { url: 'postgresql://a@h/d', pool: { max: 3, idleTimeoutMillis: 500 } } },
      common: { pool: { maxLifetime: 2000, idleTimeout: 100 } },
    });
    expect(db?.options.pool).toEqual({ max: 3, idleTimeoutMillis: 500 });
    expect(db?.options.driverOptions).toEqual({ maxLifetimeSeconds: 2 });
    const [own] = resolveDatabases({
      databases: { default: { url: 'postgresql://a@h/d', pool, driverOptions: { maxLifetimeSeconds: 7 } } },
    });
    expect(own?.options.driverOptions).toEqual({ maxLifetimeSeconds: 7 });
  });

  it("a PostgreSQL replica with driver options of its own gets the pool's lifetime too", () => {
    const [db] = resolveDatabases({
      databases: {
        default: { url: 'postgresql://a@h/d', pool, replicas: ['postgresql://r@r1/d?application_name=r1'] },
      },
    });
    expect(db?.options.replicas).toEqual([
      expect.objectContaining({ driverOptions: { maxLifetimeSeconds: 1800, application_name: 'r1' } }),
    ]);
  });

  it.each([
    ['max 0', { max: 0 }, "'auth.pool.max' must be a positive integer", 'got 0'],
    ['max -1', { max: -1 }, "'auth.pool.max' must be a positive integer", 'got -1'],
    ['max 2.5', { max: 2.5 }, "'auth.pool.max' must be a positive integer", 'got 2.5'],
    ['max as a string', { max: '10' }, "'auth.pool.max' must be a positive integer", 'got a string'],
    ['min -1', { min: -1 }, "'auth.pool.min' must be an integer from 0", 'got -1'],
    ['min 0.5', { min: 0.5 }, "'auth.pool.min' must be an integer from 0", 'got 0.5'],
    ['min above max', { min: 5, max: 2 }, "Database 'auth': 'pool.min' (5) is larger than 'pool.max' (2)", 'Lower'],
    ['idleTimeout 0', { idleTimeout: 0 }, "'auth.pool.idleTimeout' must be a number of milliseconds", 'got 0'],
    ['idleTimeout NaN', { idleTimeout: Number.NaN }, "'auth.pool.idleTimeout' must be a number", 'got NaN'],
    ['maxLifetime -5', { maxLifetime: -5 }, "'auth.pool.maxLifetime' must be a number of milliseconds", 'got -5'],
    ['maxLifetime Infinity', { maxLifetime: Infinity }, "'auth.pool.maxLifetime' must be", 'got Infinity'],
    ['both idle spellings', { idleTimeout: 1, idleTimeoutMillis: 2 }, "Database 'auth': 'pool.idleTimeout' (1)", '(2)'],
  ])('%s is refused, naming the key', async (_, poolOptions, ...parts) => {
    const error = await startupError(withAuth({ url: 'mysql://a@127.0.0.1:1/d', pool: poolOptions }));
    expect(error, error.message).toBeInstanceOf(InvalidOptionsError);
    for (const part of parts) expect(error.message).toContain(part);
  });

  it('a pool that is not an object is refused', async () => {
    const error = await startupError(withAuth({ url: 'sqlite://', pool: 5 }));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("'auth.pool' must be an object");
  });
});
