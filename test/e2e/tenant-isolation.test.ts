import { EntitySchema } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionsError, InvalidTenantKeyError, inDatabase } from 'nestjs-multidb';
import { boot, rejection } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';
import { createProject, type TempProject } from '../fixtures/project.js';
import { rowsOf, withTenantApp as withApp, writeRow as write } from '../fixtures/tenant-apps.js';

const Shared = new EntitySchema({
  name: 'Shared',
  tableName: 'shared_rows',
  properties: { id: { type: 'integer', primary: true } },
});

/** Keys that share their first `length - 1` characters: PostgreSQL would cut both to one name. */
const key = (length: number, last: string) => `${'a'.repeat(length - 1)}${last}`;

describe('PostgreSQL tenants whose keys would be cut to one name (#13)', () => {
  it('schema template: keys over 56 characters are refused; two 56-character keys alike but the last keep their rows apart', async () => {
    const name = await createDatabase('postgres', 'isolation');
    const url = `${serverUrl('postgres', name)}?schema=tenant_{tenant}`;
    await withApp({ default: 'sqlite://', tenant: { url, tenants: {} } }, async (db) => {
      for (const long of [key(57, '1'), key(57, '2')]) {
        const error = await rejection(db.attach(long));
        expect(error).toBeInstanceOf(InvalidTenantKeyError);
        expect(error.message).toContain(`its schema 'tenant_${long}' is 64 bytes, over PostgreSQL's limit of 63 bytes`);
        expect(error.message).toContain('tenant keys can have at most 56 characters');
      }
      const [one, two] = [key(56, '1'), key(56, '2')];
      await db.attach(one);
      await db.attach(two);
      await write(db, one, 1);
      await write(db, two, 2);
      expect(await rowsOf(db, one)).toEqual([{ id: 1, owner: one }]);
      expect(await rowsOf(db, two)).toEqual([{ id: 2, owner: two }]);
      const schemas = await runSql<{ name: string }>(
        'postgres',
        name,
        "select schema_name as name from information_schema.schemata where schema_name like 'tenant_%' order by 1",
      );
      expect(schemas.map((s) => s.name)).toEqual([`tenant_${one}`, `tenant_${two}`]);
      expect(db.maxTenantKeyLength()).toBe(56);
    });
  });

  it('database template: a database provisioned by its full name is never reached by a cut one; 56 characters work', async () => {
    const [one, two] = [key(57, '1'), key(57, '2')];
    // what an operator would run: the second CREATE fails, as both names are cut to one
    await runSql('postgres', 'postgres', `create database "tenant_${one}"`);
    const clash = await rejection(runSql('postgres', 'postgres', `create database "tenant_${two}"`));
    expect(clash.message).toContain('already exists');
    const url = serverUrl('postgres', 'tenant_{tenant}');
    await withApp({ default: 'sqlite://', tenant: { url, tenants: {} } }, async (db) => {
      for (const long of [one, two]) {
        const error = await rejection(db.attach(long));
        expect(error).toBeInstanceOf(InvalidTenantKeyError);
        expect(error.message).toContain(`its database name 'tenant_${long}' is 64 bytes`);
      }
      const fits = key(56, 'x');
      await db.attach(fits);
      await write(db, fits, 1); // ensureDatabase creates it under its full name
      expect(await rowsOf(db, fits)).toEqual([{ id: 1, owner: fits }]);
      const found = await runSql('postgres', 'postgres', `select 1 from pg_database where datname = 'tenant_${fits}'`);
      expect(found).toHaveLength(1);
    });
  });
});

describe('MariaDB tenants and the 64-character, 255-byte database names (#13)', () => {
  it('refuses 58 characters and a key whose "-" make the folder name too long; the longest that fit open', async () => {
    const url = serverUrl('mariadb', 'tenant_{tenant}', 'mariadb');
    await withApp({ default: 'sqlite://', tenant: { url, tenants: {} } }, async (db) => {
      const long = await rejection(db.attach(key(58, 'm')));
      expect(long).toBeInstanceOf(InvalidTenantKeyError);
      expect(long.message).toContain("is 65 characters, over MySQL/MariaDB's limit of 64 characters");
      const dashes = await rejection(db.attach(`m${'-'.repeat(50)}`));
      expect(dashes.message).toContain("is 258 bytes, over the server's 255-byte limit for file names");
      for (const fits of [key(57, 'm'), `m${'-'.repeat(49)}`]) {
        await db.attach(fits);
        await write(db, fits, 1);
        expect(await rowsOf(db, fits)).toEqual([{ id: 1, owner: fits }]);
      }
      expect(db.maxTenantKeyLength()).toBe(57);
    });
  });
});

describe('two configured keys on one server database (#14)', () => {
  let pg: string;
  let maria: string;
  beforeAll(async () => {
    [pg, maria] = await Promise.all([createDatabase('postgres', 'twokeys'), createDatabase('mariadb', 'twokeys')]);
  });

  it('URLs that differ only in spelling stop start-up, naming both keys', async () => {
    const postgres = serverUrl('postgres', pg);
    const spelled = `${serverUrl('postgres', pg, 'postgres')}?schema=public`;
    const error = await rejection(boot({ databases: { default: postgres, copy: spelled } }));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(
      new RegExp(`^Databases 'default' and 'copy' both point at PostgreSQL database ${pg} \\(schema public\\) on`),
    );
    const mysql = await rejection(
      boot({
        databases: {
          default: 'sqlite://',
          auth: serverUrl('mariadb', maria),
          copy: serverUrl('mariadb', maria, 'mariadb'),
        },
      }),
    );
    expect(mysql.message).toContain(`Databases 'auth' and 'copy' both point at MySQL/MariaDB database ${maria} on`);
  });

  it('with sharesDatabaseWith both start and read the same tables', async () => {
    const url = serverUrl('postgres', pg);
    const CopyOfShared = inDatabase(
      'copy',
      new EntitySchema({
        name: 'CopyOfShared',
        tableName: 'shared_rows',
        properties: { id: { type: 'integer', primary: true } },
      }),
    );
    const booted = await boot({
      databases: {
        default: url,
        copy: { url: `${url}?schema=public`, sharesDatabaseWith: 'default', pool: { max: 1 } },
      },
      entities: [Shared, CopyOfShared],
    });
    try {
      const { db } = booted;
      await db.createAll('default');
      await db.runInContext(async () => {
        db.em('default').create(Shared, { id: 5 });
        await db.em('default').flush();
      });
      expect(await db.runInContext(() => db.em('copy').find(CopyOfShared, {}))).toEqual([{ id: 5 }]);
    } finally {
      await booted.app.close();
    }
  });
});

describe('the CLI attaches a named tenant through the same checks (#13)', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await createProject('multidb-isolation-cli-');
    const url = `${serverUrl('postgres', await createDatabase('postgres', 'isolation_cli'))}?schema=tenant_{tenant}`;
    await project.write(
      'multidb.config.mjs',
      `export default { databases: { default: 'sqlite:///data/main.db', tenant: { url: ${JSON.stringify(url)}, tenants: {} } } };\n`,
    );
  });
  afterAll(() => project?.remove());

  it('--db tenant:<57 characters> fails naming the limit; 56 characters run', async () => {
    const long = await project.cli(['migration:pending', '--db', `tenant:${key(57, 'c')}`]);
    expect(long.code).toBe(1);
    expect(long.stderr).toContain(`Tenant '${key(57, 'c')}' of 'tenant' is not a valid tenant key here`);
    expect(long.stderr).toContain('tenant keys can have at most 56 characters');
    const fits = await project.cli(['migration:pending', '--db', `tenant:${key(56, 'c')}`]);
    expect(fits.stderr).toBe('');
    expect(fits.stdout).toMatch(new RegExp(`^OK +tenant:${key(56, 'c')} +migration:pending: pending none`, 'm'));
    expect(fits.code).toBe(0);
  });
});
