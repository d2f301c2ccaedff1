import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntitySchema } from '@mikro-orm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { inDatabase, InvalidOptionsError, type MultiDbModuleOptions, toMikroOrmConfigs } from 'nestjs-multidb';
import { resolveOptions } from '../../src/config/resolve-databases.js';
import { boot, rejection } from '../fixtures/boot.js';

const Row = new EntitySchema({
  name: 'Row',
  tableName: 'rows',
  properties: { id: { type: 'integer', primary: true } },
});
const Copy = inDatabase(
  'copy',
  new EntitySchema({ name: 'Copy', tableName: 'rows', properties: { id: { type: 'integer', primary: true } } }),
);

const dir = mkdtempSync(join(tmpdir(), 'multidb-identity-'));
mkdirSync(join(dir, 'real'));
symlinkSync(join(dir, 'real'), join(dir, 'link'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The identity of one configured database, through the same resolution start-up uses. */
const identityOf = async (url: string) => {
  const { databaseIdentity } = await import('../../src/config/database-identity.js');
  const [db] = resolveOptions({ databases: { default: url }, rootPath: dir }).databases;
  return databaseIdentity(db as NonNullable<typeof db>);
};
/** The start-up error of a configuration, without opening anything (as MikroORM's own CLI config does). */
const refusal = (databases: MultiDbModuleOptions['databases']) =>
  rejection(toMikroOrmConfigs({ databases, rootPath: dir }));

describe('databaseIdentity: which database a resolved configuration points at', () => {
  it('SQLite: the resolved file, relative or absolute, through symbolic links, case ignored; in memory: none', async () => {
    const one = await identityOf('sqlite:///real/app.db');
    expect(one?.text).toBe(`the SQLite file ${join(dir, 'real/app.db')}`);
    for (const same of [`sqlite:///${dir}/real/app.db`, 'sqlite:///link/app.db', 'sqlite:///real/../real/App.db']) {
      expect((await identityOf(same))?.id).toBe(one?.id);
    }
    expect((await identityOf('sqlite:///real/other.db'))?.id).not.toBe(one?.id);
    expect(await identityOf('sqlite://')).toBeUndefined();
    expect(await identityOf('sqlite:///:memory:')).toBeUndefined();
  });

  it('PostgreSQL: host (any case) and port (5432 when absent), database and schema (public when absent)', async () => {
    const one = await identityOf('postgresql://app:pw@db/main');
    expect(one?.text).toBe('PostgreSQL database main (schema public) on db:5432');
    for (const same of ['postgres://other@DB:5432/main', 'postgresql+psycopg://app@db/main?schema=public']) {
      expect((await identityOf(same))?.id).toBe(one?.id);
    }
    for (const other of [
      'postgresql://app@db:5433/main',
      'postgresql://app@db2/main',
      'postgresql://app@db/Main',
      'postgresql://app@db/main?schema=audit',
    ]) {
      expect((await identityOf(other))?.id).not.toBe(one?.id);
    }
  });

  it("MySQL/MariaDB: host and port (3306), and the database the tables live in (MikroORM's ?schema= wins), case ignored", async () => {
    const one = await identityOf('mysql://app@db/users');
    expect(one?.text).toBe('MySQL/MariaDB database users on db:3306');
    for (const same of ['mariadb://root:pw@db:3306/USERS', 'mysql://app@db/other?schema=users']) {
      expect((await identityOf(same))?.id).toBe(one?.id);
    }
    expect((await identityOf('mysql://app@db:3307/users'))?.id).not.toBe(one?.id);
    expect((await identityOf('postgresql://app@db:3306/users'))?.id).not.toBe(one?.id);
  });
});

describe('two configured keys on one database stop start-up, unless sharesDatabaseWith says so (#14)', () => {
  const cases: Array<[string, string, string, string]> = [
    ['one SQLite file, relative and through a link', 'sqlite:///real/app.db', `sqlite:///${dir}/link/App.db`, dir],
    [
      'PostgreSQL, other scheme, user and spelled port',
      'postgresql://a:pw@db/main',
      'postgres://b@DB:5432/main',
      'main',
    ],
    ['PostgreSQL, ?schema=public and none', 'postgresql://a@db/main', 'postgresql://a@db/main?schema=public', 'public'],
    ['MySQL and MariaDB schemes', 'mysql://a@db/users', 'mariadb://b:pw@db:3306/users', 'users on db:3306'],
  ];
  it.each(cases)('refuses %s, naming both keys', async (_, first, second, where) => {
    const error = await refusal({ default: first, copy: second });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("Databases 'default' and 'copy' both point at");
    expect(error.message).toContain(where);
    expect(error.message).toContain("sharesDatabaseWith: 'default' on 'copy'");
  });

  it('starts what only looks alike: other schema, port, database; in-memory SQLite twice', async () => {
    await expect(
      toMikroOrmConfigs({
        databases: {
          default: 'postgresql://a@db/main',
          audit: 'postgresql://a@db/main?schema=audit',
          replica: 'postgresql://a@db:5433/main',
          other: 'postgresql://a@db/main2',
          memory: 'sqlite://',
          memory2: 'sqlite:///:memory:',
          memory3: 'sqlite://',
        },
      }),
    ).resolves.toHaveLength(7);
  });

  it('with sharesDatabaseWith the second key starts and really uses the same tables', async () => {
    const url = `sqlite:///${join(dir, 'shared.db')}`;
    const { app, db } = await boot({
      databases: { default: url, copy: { url, sharesDatabaseWith: 'default' } },
      entities: [Row, Copy],
    });
    try {
      await db.createAll('default');
      await db.runInContext(async () => {
        db.em('default').create(Row, { id: 7 });
        await db.em('default').flush();
      });
      expect(await db.runInContext(() => db.em('copy').find(Copy, {}))).toEqual([{ id: 7 }]);
    } finally {
      await app.close();
    }
  });

  it('keys that share with the same key share with each other; a fourth on that database is still refused', async () => {
    const url = 'postgresql://a@db/main';
    const shared = { url, sharesDatabaseWith: 'default' };
    await expect(toMikroOrmConfigs({ databases: { default: url, b: shared, c: shared } })).resolves.toHaveLength(3);
    const error = await refusal({ default: url, b: shared, c: shared, d: url });
    expect(error.message).toContain("Databases 'default' and 'd' both point at PostgreSQL database main");
  });

  it('entitiesOf on the same database needs sharesDatabaseWith too', async () => {
    const error = await refusal({
      default: 'mysql://a@db/app',
      staging: { url: 'mysql://a@db/app', entitiesOf: 'default' },
    });
    expect(error.message).toContain("Databases 'default' and 'staging' both point at");
  });

  const invalid: Array<[string, MultiDbModuleOptions['databases']]> = [
    ['itself', { default: 'sqlite://', copy: { url: 'sqlite://', sharesDatabaseWith: 'copy' } }],
    ['an unknown key', { default: 'sqlite://', copy: { url: 'sqlite://', sharesDatabaseWith: 'nope' } }],
    [
      'a tenant template',
      {
        default: 'sqlite://',
        tenant: { url: 'sqlite:///{tenant}.db', tenants: {} },
        copy: { url: 'sqlite://', sharesDatabaseWith: 'tenant' },
      },
    ],
    ['not a string', { default: 'sqlite://', copy: { url: 'sqlite://', sharesDatabaseWith: 3 as never } }],
  ];
  it.each(invalid)('refuses sharesDatabaseWith naming %s', async (_, databases) => {
    const error = await refusal(databases);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(
      /^Database 'copy': sharesDatabaseWith '.*' must name another configured database key/,
    );
  });

  it('a template cannot take sharesDatabaseWith: its tenants never share', async () => {
    const error = await refusal({
      default: 'sqlite://',
      tenant: { url: 'sqlite:///{tenant}.db', tenants: {}, sharesDatabaseWith: 'default' },
    });
    expect(error.message).toContain("Tenant template 'tenant': a template cannot take 'sharesDatabaseWith'");
  });

  it('refuses a configured name longer than its engine allows (PostgreSQL would cut it short silently)', async () => {
    const long = `app_${'x'.repeat(60)}`;
    const error = await refusal({ default: `postgresql://a:secret@db/${long}` });
    expect(error.message).toBe(
      `Database 'default' (postgresql://a:***@db/${long}): its database name '${long}' is 64 bytes, over PostgreSQL's limit of 63 bytes for names (PostgreSQL silently cuts longer names short, so two names that start alike would be one database or schema). Use a shorter name.`,
    );
    const maria = await refusal({ default: `mariadb://a@db/${'m'.repeat(65)}` });
    expect(maria.message).toContain("is 65 characters, over MySQL/MariaDB's limit of 64 characters for names");
  });
});

describe('swapDatabases onto one test database', () => {
  it('needs sharesDatabaseWith like any two keys on one database', async () => {
    const { applySwaps } = await import('nestjs-multidb/testing');
    const app = { databases: { default: 'postgresql://app@prod/main', auth: 'mysql://app@prod/users' } };
    const url = 'postgresql://test@localhost/test';
    const plain = applySwaps(app, { default: url, auth: url });
    expect((await rejection(toMikroOrmConfigs(plain))).message).toContain(
      "Databases 'default' and 'auth' both point at",
    );
    const shared = applySwaps(app, { default: url, auth: { url, sharesDatabaseWith: 'default' } });
    expect((await toMikroOrmConfigs(shared)).map((c) => c.dbName)).toEqual(['test', 'test']);
  });
});
