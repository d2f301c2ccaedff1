import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MalformedUrlError, parseDatabaseUrl, UnsupportedSchemeError } from 'nestjs-multidb';
import { resolveDatabases } from '../../src/config/resolve-databases.js';
import { boot } from '../fixtures/boot.js';

const root = '/srv/app';

describe('database URLs', () => {
  it.each([
    ['postgresql://app:secret@db:5432/main', 'postgresql'],
    ['postgres://app:secret@db:5432/main', 'postgresql'],
    ['postgresql+asyncpg://app:secret@db:5432/main', 'postgresql'],
    ['mysql://app:secret@db:3306/users', 'mysql'],
    ['mysql+pymysql://app:secret@db:3306/users', 'mysql'],
    ['mariadb://app:secret@db:3306/users', 'mariadb'],
    ['mariadb+mariadbconnector://app:secret@db:3306/users', 'mariadb'],
  ])('%s uses the %s driver with the URL parts', (url, driver) => {
    const parsed = parseDatabaseUrl('main', url, root);
    expect(parsed.driver).toBe(driver);
    expect(parsed.options).toMatchObject({ host: 'db', user: 'app', password: 'secret' });
    expect(parsed.options.dbName).toBe(url.split('/').pop());
    expect(parsed.maskedUrl).not.toContain('secret');
    expect(parsed.maskedUrl).toContain('app:***@db');
  });

  it('keeps the port as a number and decodes escaped credentials', () => {
    const parsed = parseDatabaseUrl('main', 'postgresql://us%40er:p%40ss%2Fw@127.0.0.1:6543/my%2Ddb', root);
    expect(parsed.options).toMatchObject({
      host: '127.0.0.1',
      port: 6543,
      user: 'us@er',
      password: 'p@ss/w',
      dbName: 'my-db',
    });
    expect(parsed.maskedUrl).toBe('postgresql://us%40er:***@127.0.0.1:6543/my%2Ddb');
  });

  it('passes the query string through: schema to MikroORM, the rest typed to the driver', () => {
    const parsed = parseDatabaseUrl(
      'main',
      'postgresql://app@db/main?schema=tenant&application_name=api&statement_timeout=5000&ssl=false',
      root,
    );
    expect(parsed.options.schema).toBe('tenant');
    expect(parsed.options.driverOptions).toEqual({ application_name: 'api', statement_timeout: 5000, ssl: false });
    expect(parsed.options).not.toHaveProperty('password');
  });

  it.each([['sqlite://'], ['sqlite:///:memory:']])('%s is an in-memory SQLite database', (url) => {
    const parsed = parseDatabaseUrl('meta', url, root);
    expect(parsed).toMatchObject({ driver: 'sqlite', sqliteFile: undefined, options: { dbName: ':memory:' } });
  });

  it('sqlite:///relative/path.db resolves against rootPath', () => {
    const parsed = parseDatabaseUrl('meta', 'sqlite:///data/meta.db', root);
    expect(parsed).toMatchObject({
      driver: 'sqlite',
      sqliteFile: '/srv/app/data/meta.db',
      options: { dbName: '/srv/app/data/meta.db' },
    });
  });

  it('sqlite:////absolute/path.db is absolute', () => {
    const parsed = parseDatabaseUrl('meta', 'sqlite:////var/lib/app/meta.db?timeout=2000', root);
    expect(parsed).toMatchObject({
      sqliteFile: '/var/lib/app/meta.db',
      options: { dbName: '/var/lib/app/meta.db', driverOptions: { timeout: 2000 } },
    });
  });

  it.each([
    ['oracle://app:secret@db/x', UnsupportedSchemeError, "unsupported URL scheme 'oracle'"],
    ['mongodb+srv://app:secret@db/x', UnsupportedSchemeError, "unsupported URL scheme 'mongodb+srv'"],
    ['db.example.com/main', MalformedUrlError, "does not start with 'scheme://'"],
    ['postgresql://app:secret@db:port/main', MalformedUrlError, 'cannot be parsed'],
    ['postgresql://app:secret@db:5432', MalformedUrlError, 'names no database'],
    ['mysql:///users', MalformedUrlError, 'names no host'],
    ['mysql://app:secret@/users', MalformedUrlError, 'cannot be parsed'],
    ['sqlite://data.db', MalformedUrlError, 'a SQLite URL has no host'],
    ['postgresql://app:secret%zz@db/main', MalformedUrlError, 'the password has an invalid %-escape'],
    ['postgresql://app:secret@db:5432/ma%zzin', MalformedUrlError, 'the database name has an invalid %-escape'],
  ])('%s is refused clearly, naming the key and hiding the password', (url, type, text) => {
    let error: unknown;
    try {
      parseDatabaseUrl('auth', url, root);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(type);
    const message = (error as Error).message;
    expect(message).toContain("Database 'auth'");
    expect(message).toContain(text);
    expect(message).not.toContain('secret');
    expect((error as { key?: string }).key).toBe('auth');
  });

  it("a '/' left unescaped in the user or password is refused: the parser would read the password as database name, which messages quote (fuzz seed 818120297)", () => {
    const url = `postgresql://../../etc:Pw7Q@db:0${'a'.repeat(300)}`;
    let error: unknown;
    try {
      parseDatabaseUrl('default', url, root);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MalformedUrlError);
    expect((error as Error).message).toContain('percent-encode them');
    expect((error as Error).message).not.toContain('Pw7Q');
    // the parser and the mask agree: a password equal to the user and database names is fine
    expect(parseDatabaseUrl('default', 'postgresql://app:app@localhost/app', root).options).toMatchObject({
      user: 'app',
      password: 'app',
      dbName: 'app',
    });
    // an '@' in the query string is not a password
    expect(parseDatabaseUrl('default', 'postgresql://db:5432/main?application_name=a@b', root).options).toMatchObject({
      host: 'db',
      dbName: 'main',
    });
  });
});

describe('explicit connection options next to a URL', () => {
  it('win over the URL, and the URL shown (info, logs, errors) names them, password still masked', () => {
    const [db] = resolveDatabases({
      databases: {
        default: { url: 'postgresql://app:s3cret@db1:5432/app', host: 'db2', dbName: 'other', user: 'bob' },
      },
    });
    expect(db?.options).toMatchObject({ host: 'db2', dbName: 'other', user: 'bob', port: 5432 });
    expect(db?.maskedUrl).toBe('postgresql://app:***@db1:5432/app (overridden: host db2, user bob, dbName other)');
    // the same values as the URL's, or none: the URL as it is
    const [same] = resolveDatabases({
      databases: { default: { url: 'postgresql://app:s3cret@db1/app', dbName: 'app' } },
    });
    expect(same?.maskedUrl).toBe('postgresql://app:***@db1/app');
  });

  it('a SQLite dbName given next to its URL is the file opened: its folder is created, and it is the one shown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multidb-explicit-'));
    const file = join(dir, 'not-yet', 'b.db');
    try {
      const { app, db } = await boot({
        databases: { default: { url: 'sqlite:///data/a.db', dbName: file } },
        entities: [],
        rootPath: dir,
      });
      try {
        expect(db.info().url).toBe(`sqlite:///data/a.db (overridden: dbName ${file})`);
        await db.em().getConnection().execute('create table t (id integer primary key)');
        expect(existsSync(file)).toBe(true);
        expect(existsSync(join(dir, 'data', 'a.db'))).toBe(false);
      } finally {
        await app.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
