import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, InvalidTenantKeyError } from 'nestjs-multidb';
import { boot, rejection } from '../fixtures/boot.js';
import { rowsOf, withTenantApp as withApp, writeRow as write } from '../fixtures/tenant-apps.js';

const key = (length: number, last = 'z') => `${'k'.repeat(length - 1)}${last}`;

describe("tenant keys against the engine's name limits (#13)", () => {
  it('maxTenantKeyLength: what each template leaves room for, at most 63', async () => {
    const pg = 'postgresql://app:pw@db';
    await withApp(
      {
        default: 'sqlite://',
        tenant: { url: `${pg}/tenant_{tenant}`, tenants: {} },
        schemas: { url: `${pg}/app?schema=tenant_{tenant}`, tenants: {} },
        twice: { url: `${pg}/{tenant}_{tenant}`, tenants: {} },
        maria: { url: 'mariadb://app@db/tenant_{tenant}', tenants: {} },
        files: { url: 'sqlite:///tenants/{tenant}.db', tenants: {} },
        long: { url: `sqlite:///t/${'x'.repeat(200)}{tenant}.db`, tenants: {} },
        byFactory: { url: 'sqlite://', tenants: { database: (t) => `sqlite:///f/${t}.db` } },
      },
      async (db) => {
        const max = Object.fromEntries(db.tenantTemplates.map((t) => [t, db.maxTenantKeyLength(t)]));
        expect(max).toEqual({ tenant: 56, schemas: 56, twice: 31, maria: 57, files: 63, long: 44, byFactory: 63 });
      },
    );
  });

  it('PostgreSQL: a key at the limit is attached, one over is refused naming the limit (attach, override, factory)', async () => {
    const databases = {
      default: 'sqlite://',
      tenant: {
        url: 'postgresql://app:pw@db/tenant_{tenant}',
        tenants: { database: (t: string) => (t === 'short' ? `postgresql://app:pw@db/${'n'.repeat(64)}` : undefined) },
      },
    };
    await withApp(databases, async (db) => {
      await db.attach(key(56));
      const error = await rejection(db.attach(key(57)));
      expect(error).toBeInstanceOf(InvalidTenantKeyError);
      expect(error.message).toBe(
        `Tenant '${key(57)}' of 'tenant' is not a valid tenant key here: its database name 'tenant_${key(57)}' is 64 bytes, over PostgreSQL's limit of 63 bytes for names (PostgreSQL silently cuts longer names short, so two names that start alike would be one database or schema). With the URL pattern of 'tenant', tenant keys can have at most 56 characters (DbService.maxTenantKeyLength('tenant')): use a shorter tenant key, or give this tenant a shorter name through tenants.database / attach().`,
      );
      const override = await rejection(db.attach('ok', { dbName: `db_${'o'.repeat(61)}` }));
      expect(override.message).toContain(`its database name 'db_${'o'.repeat(61)}' is 64 bytes`);
      const factory = await rejection(db.attach('short'));
      expect(factory.message).toContain(`its database name '${'n'.repeat(64)}' is 64 bytes`);
      expect(db.listTenants()).toEqual([key(56)]);
    });
  });

  it('MariaDB: 64 characters, and a folder name of 255 bytes where each "-" takes 5', async () => {
    await withApp(
      { default: 'sqlite://', tenant: { url: 'mariadb://app@db/tenant_{tenant}', tenants: {} } },
      async (db) => {
        await db.attach(key(57));
        expect((await rejection(db.attach(key(58)))).message).toContain(
          "is 65 characters, over MySQL/MariaDB's limit of 64 characters for names (MySQL/MariaDB refuses such a database)",
        );
        await db.attach(`a${'-'.repeat(49)}`); // 7 + 1 + 49 × 5 = 253 bytes on disk
        const dashes = await rejection(db.attach(`a${'-'.repeat(50)}`));
        expect(dashes.message).toContain('as a folder on the server');
        expect(dashes.message).toContain("is 258 bytes, over the server's 255-byte limit for file names");
      },
    );
  });

  it('SQLite: a key at the limit opens and writes (journal included), one over is refused', async () => {
    const template = { url: `sqlite:///t/${'x'.repeat(200)}{tenant}.db`, tenants: {} };
    await withApp({ default: 'sqlite://', tenant: template }, async (db) => {
      await db.attach(key(44));
      await write(db, key(44), 1);
      expect(await rowsOf(db, key(44))).toEqual([{ id: 1, owner: key(44) }]);
      for (const length of [45, 52, 53]) {
        const error = await rejection(db.attach(key(length)));
        expect(error).toBeInstanceOf(InvalidTenantKeyError);
        expect(error.message).toContain(
          `its file name '${'x'.repeat(200)}${key(length)}.db' is ${203 + length} bytes, over the 255-byte limit for file names less 8 for SQLite's '-journal' file next to it`,
        );
      }
    });
  });

  it('tenants.list() with a key over the limit stops start-up', async () => {
    const error = await rejection(
      boot({
        databases: {
          default: 'sqlite://',
          tenant: { url: 'postgresql://app@db/tenant_{tenant}', tenants: { list: () => ['fine', key(60)] } },
        },
      }),
    );
    expect(error).toBeInstanceOf(InvalidTenantKeyError);
    expect(error.message).toContain(`Tenant '${key(60)}' of 'tenant' is not a valid tenant key here`);
  });

  it('a URL pattern whose fixed part leaves no room for any key stops start-up', async () => {
    const error = await rejection(
      boot({
        databases: {
          default: 'sqlite://',
          tenant: { url: `postgresql://app@db/${'p'.repeat(63)}{tenant}`, tenants: {} },
        },
      }),
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain(
      `Tenant template 'tenant': its database name '${'p'.repeat(63)}a' leaves no room for a tenant key under PostgreSQL's limit of 63 bytes`,
    );
  });
});

describe('{tenant} must select the database (#13)', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['a SQLite query parameter', 'sqlite:///shared.db?x={tenant}', /put it in the file path/],
    ['the PostgreSQL user', 'postgresql://{tenant}:pw@db/app', /the database name .* or the schema/],
    ['the PostgreSQL password', 'postgresql://app:{tenant}@db/app', /not in the host, user, password/],
    ['the PostgreSQL host', 'postgresql://app@{tenant}.db.internal/app', /for a server per tenant/],
    ['another PostgreSQL parameter', 'postgresql://app@db/app?application_name={tenant}', /or the schema/],
    ['a MySQL database name under a fixed ?schema=', 'mysql://app@db/t_{tenant}?schema=shared', /the database name/],
  ];
  it.each(refused)('refuses {tenant} only in %s at start-up', async (_, url, where) => {
    const error = await rejection(boot({ databases: { default: 'sqlite://', tenant: { url, tenants: {} } } }));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("Tenant template 'tenant': {tenant} is not in the part of its url that selects");
    expect(error.message).toMatch(where);
    expect(error.message).not.toContain(':pw@');
  });

  it('accepts it in the SQLite folder, the PostgreSQL database or schema, the MySQL database', async () => {
    const urls = [
      'sqlite:///{tenant}/app.db',
      'postgresql://{tenant}:pw@db/t_{tenant}',
      'postgresql://app@db/app?schema=t_{tenant}',
      'mysql://app@db/t_{tenant}',
    ];
    for (const url of urls) await withApp({ default: 'sqlite://', tenant: { url, tenants: {} } }, async () => {});
  });

  it('a factory giving a second tenant the same SQLite file is refused at attach; the first keeps its rows', async () => {
    const shared = {
      default: 'sqlite://',
      tenant: { url: 'sqlite://', tenants: { database: () => 'sqlite:///shared.db' } },
    };
    await withApp(shared, async (db) => {
      await db.attach('acme');
      await write(db, 'acme', 1);
      const error = await rejection(db.attach('globex'));
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect(error.message).toMatch(
        /^Tenant 'globex' of 'tenant' cannot be attached: its database is the SQLite file \/.*\/shared\.db, which 'tenant:acme' already uses/,
      );
      expect(db.listTenants()).toEqual(['acme']);
      await db.detach('acme'); // frees the file for another tenant
      await db.attach('globex');
      expect(await rowsOf(db, 'globex')).toEqual([{ id: 1, owner: 'acme' }]);
    });
  });

  it('an attach override is compared after resolving the path, to other tenants of every template and configured keys', async () => {
    const databases = {
      default: 'sqlite:///main.db',
      tenant: { url: 'sqlite:///tenants/{tenant}.db', tenants: {} },
      archive: { url: 'sqlite:///archive/{tenant}.db', tenants: {} },
    };
    await withApp(databases, async (db) => {
      await db.attach('acme', undefined, 'tenant');
      const spelled = await rejection(db.attach('globex', 'sqlite:///tenants/../tenants/./acme.db', 'tenant'));
      expect(spelled.message).toContain("which 'tenant:acme' already uses");
      const main = await rejection(db.attach('main', 'sqlite:///main.db', 'tenant'));
      expect(main.message).toContain("which 'default' already uses");
      const other = await rejection(db.attach('globex', 'sqlite:///tenants/acme.db', 'archive'));
      expect(other.message).toContain("Tenant 'globex' of 'archive' cannot be attached");
      expect(other.message).toContain("which 'tenant:acme' already uses");
      await db.attach('acme', 'sqlite:///tenants/acme.db', 'tenant'); // re-attaching a tenant to its own database
      await db.attach('acme', 'sqlite:///tenants/acme.db', 'archive'); // the same tenant, another template
      expect(db.listTenants('archive')).toEqual(['acme']);
    });
  });

  it('PostgreSQL and MySQL tenants from a factory: the same host:port, database and schema are refused', async () => {
    const urls: Record<string, string> = {
      a: 'postgresql://app@db/shop?schema=a',
      b: 'postgres://other:pw@DB:5432/shop?schema=a',
      c: 'postgresql://app@db/shop?schema=c',
      m: 'mysql://app@db/shop',
      n: 'mariadb://root@db:3306/shop',
    };
    const databases = {
      default: 'sqlite://',
      tenant: { url: 'sqlite://', tenants: { database: (t: string) => urls[t] } },
    };
    await withApp(databases, async (db) => {
      for (const t of ['a', 'c', 'm']) await db.attach(t);
      expect((await rejection(db.attach('b'))).message).toContain(
        "its database is PostgreSQL database shop (schema a) on db:5432, which 'tenant:a' already uses",
      );
      expect((await rejection(db.attach('n'))).message).toContain("which 'tenant:m' already uses");
    });
  });
});
