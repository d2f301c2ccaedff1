import { defineConfig as defineCoreConfig } from '@mikro-orm/core';
import { MariaDbDriver, defineConfig as defineMariaDbConfig } from '@mikro-orm/mariadb';
import { MySqlDriver } from '@mikro-orm/mysql';
import { PostgreSqlDriver, defineConfig as definePostgreSqlConfig } from '@mikro-orm/postgresql';
import { SqliteDriver, defineConfig as defineSqliteConfig } from '@mikro-orm/sqlite';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, type MultiDbModuleOptions } from 'nestjs-multidb';
import { type ResolvedDatabase, resolveOptions } from '../../src/config/resolve-databases.js';
import { applySwaps } from '../../src/testing/swap-databases.js';
import { Post, User } from '../fixtures/entities.js';

/** How `databases.x` resolves, given as a MikroORM config or as a URL (`default` in memory beside it). */
const resolved = (x: unknown, rootPath = '/srv/app'): ResolvedDatabase =>
  resolveOptions({ databases: { default: 'sqlite://', x }, rootPath } as MultiDbModuleOptions)
    .databases[1] as ResolvedDatabase;
const refusal = (databases: Record<string, unknown>): Error => {
  try {
    resolveOptions({ databases: { default: 'sqlite://', ...databases } } as MultiDbModuleOptions);
  } catch (error) {
    return error as Error;
  }
  throw new Error('resolved without an error');
};

describe('A database given as a MikroORM config, without url (#17)', () => {
  it('resolves exactly like the equivalent URL: driver, masked URL, options, secrets (PostgreSQL, MySQL, MariaDB)', () => {
    const pg = resolved(
      definePostgreSqlConfig({
        dbName: 'app',
        host: 'db.internal',
        port: 6543,
        user: 'svc',
        password: 'p@ss/w:rd',
        debug: true,
      }),
    );
    expect(pg).toEqual(resolved({ url: 'postgresql://svc:p%40ss%2Fw%3Ard@db.internal:6543/app', debug: true }));
    expect(pg.driver).toBe('postgresql');
    expect(pg.maskedUrl).toBe('postgresql://svc:***@db.internal:6543/app');
    expect(pg.secrets).toContain('p@ss/w:rd');
    expect(pg.options.driver).toBeUndefined(); // the stock class is loaded from its package, like a URL's
    // MikroORM's own defaults for what is missing (its platform's default clientUrl)
    expect(resolved(defineCoreConfig({ driver: PostgreSqlDriver, dbName: 'app' })).maskedUrl).toBe(
      'postgresql://postgres@127.0.0.1:5432/app',
    );
    expect(resolved(defineCoreConfig({ driver: MySqlDriver, dbName: 'shop', password: 'pw' }))).toEqual(
      resolved('mysql://root:pw@127.0.0.1:3306/shop'),
    );
    const maria = resolved(defineMariaDbConfig({ dbName: 'shop', host: 'maria', user: 'app', password: 'pw' }));
    expect(maria).toEqual(resolved('mariadb://app:pw@maria:3306/shop'));
    expect(maria.driver).toBe('mariadb');
    expect(resolved(defineCoreConfig({ driver: MariaDbDriver, dbName: 'shop' })).maskedUrl).toBe(
      'mariadb://root@127.0.0.1:3306/shop',
    );
  });

  it('SQLite: dbName is a file relative to rootPath, an absolute file, or :memory:', () => {
    const relative = resolved(defineSqliteConfig({ dbName: 'data/app.db' }), '/srv/app');
    expect(relative).toEqual(resolved('sqlite:///data/app.db', '/srv/app'));
    expect(relative.sqliteFile).toBe('/srv/app/data/app.db');
    expect(resolved(defineCoreConfig({ driver: SqliteDriver, dbName: '/var/db/x y.db' })).sqliteFile).toBe(
      '/var/db/x y.db',
    );
    const memory = resolved(defineSqliteConfig({ dbName: ':memory:' }));
    expect(memory).toEqual(resolved('sqlite://'));
    expect(memory.sqliteFile).toBeUndefined();
  });

  it('a driver subclass picks its engine and is kept as the driver; clientUrl is parsed with our URL rules', () => {
    class AuditedPostgreSqlDriver extends PostgreSqlDriver {}
    const sub = resolved(defineCoreConfig({ driver: AuditedPostgreSqlDriver, dbName: 'app', host: 'db' }));
    expect(sub.driver).toBe('postgresql');
    expect(sub.options.driver).toBe(AuditedPostgreSqlDriver);
    // explicit options win over clientUrl's parts, as in MikroORM; its query string goes to the driver
    const client = resolved({ clientUrl: 'postgres://u:secret@h:5433/one?sslmode=require', dbName: 'two' });
    expect(client.maskedUrl).toBe('postgres://u:***@h:5433/two?sslmode=require');
    expect(client.options).toMatchObject({
      host: 'h',
      port: 5433,
      user: 'u',
      dbName: 'two',
      driverOptions: { sslmode: 'require' },
    });
    expect(client.secrets).toContain('secret');
  });

  it('replicas as MikroORM objects become URLs of the same engine, each missing option the primary’s', () => {
    const db = resolved(
      definePostgreSqlConfig({
        dbName: 'app',
        host: 'primary',
        user: 'app',
        password: 'pw',
        replicas: [{ host: 'r1' }, { host: 'r2', user: 'reader', password: 'rpw' }],
      }),
    );
    expect(db.maskedReplicas).toEqual(['postgresql://app:***@r1:5432/app', 'postgresql://reader:***@r2:5432/app']);
    expect(db.secrets).toEqual(expect.arrayContaining(['pw', 'rpw']));
    const bad = refusal({
      x: definePostgreSqlConfig({ dbName: 'app', replicas: [{ host: 'r1', debug: true } as never] }),
    });
    expect(bad.message).toContain("Database 'x': a replica given as MikroORM options may only set host");
  });

  it('a tenant template keeps {tenant} in dbName; two keys on one database are refused as with URLs', async () => {
    const template = resolveOptions({
      databases: {
        default: 'sqlite://',
        t: { ...definePostgreSqlConfig({ dbName: 'tenant_{tenant}', host: 'db' }), tenants: {} },
      },
    } as MultiDbModuleOptions).templates[0];
    expect(template?.key).toBe('t');
    expect((await template?.resolve('acme'))?.maskedUrl).toBe('postgresql://postgres@db:5432/tenant_acme');
    const twice = refusal({
      a: 'postgresql://app@db:5432/app',
      b: definePostgreSqlConfig({ dbName: 'app', host: 'db', user: 'other' }),
    });
    expect(twice.message).toMatch(/'a'.*'b'|'b'.*'a'/);
    expect(twice.message).toContain('PostgreSQL database app (schema public) on db:5432');
  });

  it('refuses, naming the key and the fix: no engine, an unknown driver, url and driver/clientUrl disagreeing, no dbName', () => {
    const none = refusal({ x: { dbName: 'app', host: 'db' } });
    expect(none).toBeInstanceOf(InvalidOptionsError);
    expect(none.message).toContain("Database 'x': its options give no 'url' and no MikroORM 'driver' or 'clientUrl'");
    expect(none.message).toContain('defineConfig({ driver: PostgreSqlDriver');
    expect(refusal({ x: { debug: true } }).message).toContain("Database 'x': its options give no 'url'");
    class MongoDriver {}
    expect(refusal({ x: { driver: MongoDriver, dbName: 'app' } }).message).toContain(
      "Database 'x': its MikroORM 'driver' must be PostgreSqlDriver, MySqlDriver, MariaDbDriver or SqliteDriver (or a subclass of one), got class MongoDriver",
    );
    const disagree = refusal({ x: { url: 'mysql://u:topsecret@db/app', driver: PostgreSqlDriver } });
    expect(disagree.message).toContain(
      "Database 'x': its 'url' (mysql://u:***@db/app) and its MikroORM 'driver' disagree (PostgreSqlDriver is postgresql)",
    );
    expect(disagree.message).not.toContain('topsecret');
    const clients = refusal({ x: { url: 'postgresql://db/app', clientUrl: 'postgresql://db/other' } });
    expect(clients.message).toContain(
      "Database 'x': its 'url' (postgresql://db/app) and its MikroORM 'clientUrl' disagree",
    );
    // agreeing: accepted (a MySQL driver runs a MariaDB URL, as when @mikro-orm/mariadb is missing)
    expect(resolved({ url: 'mariadb://db/app', driver: MySqlDriver, clientUrl: 'mariadb://db/app' }).driver).toBe(
      'mariadb',
    );
    expect(refusal({ x: defineCoreConfig({ driver: PostgreSqlDriver }) }).message).toContain(
      "Database 'x': its MikroORM config (postgresql) names no database. Add 'dbName'",
    );
    expect(refusal({ x: defineSqliteConfig({}) }).message).toContain(
      "Database 'x': its MikroORM config names no SQLite database",
    );
  });

  it('swapDatabases replaces a config-given key like a URL-given one, keeping its other options', () => {
    const original = {
      databases: {
        default: definePostgreSqlConfig({ dbName: 'app', host: 'db', password: 'pw', entities: [Post], debug: true }),
      },
    } as MultiDbModuleOptions;
    const [swapped] = resolveOptions(applySwaps(original, 'sqlite')).databases;
    expect(swapped).toMatchObject({ driver: 'sqlite', maskedUrl: 'sqlite://', options: { debug: true } });
    expect(swapped?.options.host).toBeUndefined();
  });

  it("its 'entities' may list only entities routed to that key; others are refused saying how to route them", () => {
    const elsewhere = refusal({ auth: defineSqliteConfig({ dbName: ':memory:', entities: [User, Post] }) });
    expect(elsewhere).toBeInstanceOf(InvalidOptionsError);
    expect(elsewhere.message).toContain(
      "Database 'auth': its 'entities' list entity 'Post', which routing gives 'default' (its static __database__), not 'auth'",
    );
    expect(elsewhere.message).toContain("set static __database__ = 'auth' on 'Post'");
    const globs = refusal({ auth: defineSqliteConfig({ dbName: ':memory:', entities: ['dist/**/*.entity.js'] }) });
    expect(globs.message).toContain('as a class or schema (paths and globs are not loaded)');
  });
});
