import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, InvalidTenantKeyError, NoTenantError } from 'nestjs-multidb';
import { boot, rejection } from '../fixtures/boot.js';
import { Row, withTenantApp as withApp } from '../fixtures/tenant-apps.js';

// nothing here connects: attaching a schema tenant checks its key and schema name only
const PG = 'postgresql://app:secret@127.0.0.1:1/app';

describe('schema-mode templates (#15): options checked at start-up', () => {
  const refused = async (tenant: { url: string; tenants: Record<string, unknown> }, text: string) => {
    const error = await rejection(boot({ databases: { default: 'sqlite://', tenant }, entities: [Row] }));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("Tenant template 'tenant'");
    expect(error.message).toContain(text);
    expect(error.message).not.toContain('secret');
  };

  it('refuses a URL with {tenant}, SQLite, a schema pattern without {tenant} or with other characters', async () => {
    await refused(
      { url: 'postgresql://app:secret@db/t_{tenant}', tenants: { mode: 'schema' } },
      'its url must not contain {tenant}',
    );
    await refused({ url: 'sqlite:///app.db', tenants: { mode: 'schema' } }, 'SQLite has no schemas');
    await refused(
      { url: PG, tenants: { mode: 'schema', schema: 'tenants' } },
      "'tenants.schema' must contain {tenant}",
    );
    await refused(
      { url: PG, tenants: { mode: 'schema', schema: 't-{tenant}"' } },
      "may hold only letters, digits, '_' and {tenant}",
    );
    await refused({ url: PG, tenants: { mode: 'schema', database: () => PG } }, "takes no 'tenants.database'");
    await refused({ url: 'postgresql://db/t_{tenant}', tenants: { schema: 's_{tenant}' } }, "for mode 'schema' only");
    await refused({ url: PG, tenants: { mode: 'schemas' } }, "'tenants.mode' must be 'database' or 'schema'");
  });

  it("limits tenant keys by the schema name's length and refuses per-tenant databases", async () => {
    await withApp({ default: 'sqlite://', tenant: { url: PG, tenants: { mode: 'schema' } } }, async (db) => {
      expect(db.maxTenantKeyLength()).toBe(63 - 'tenant_'.length);
      await db.attach('a'.repeat(56));
      const long = await rejection(db.attach('b'.repeat(57)));
      expect(long).toBeInstanceOf(InvalidTenantKeyError);
      expect(long.message).toContain('schema');
      expect(await rejection(db.attach('acme', 'postgresql://other/db'))).toBeInstanceOf(InvalidOptionsError);
      await expect(db.tenants.create('bad key')).rejects.toThrow(InvalidTenantKeyError);
      const drop = await rejection(db.tenants.drop('acme', { confirm: 'acm' }));
      expect(drop.message).toContain("drop('acme', { confirm: 'acme' })");
      expect(() => db.em('tenant')).toThrow(NoTenantError);
      expect(db.tenants.list()).toEqual(['a'.repeat(56)]);
    });
  });

  it('MySQL/MariaDB schema tenants (databases) refuse keys that differ only in case', async () => {
    const url = 'mysql://app:secret@127.0.0.1:1/app';
    await withApp({ default: 'sqlite://', tenant: { url, tenants: { mode: 'schema' } } }, async (db) => {
      const error = await rejection(db.attach('Acme'));
      expect(error).toBeInstanceOf(InvalidTenantKeyError);
      expect(error.message).toContain("Tenant keys are not lower-cased for you: use 'acme'");
      await db.attach('acme');
      expect(db.maxTenantKeyLength()).toBe(64 - 'tenant_'.length);
    });
  });

  it('db.tenants works on schema-mode templates only', async () => {
    await withApp({ default: 'sqlite://', tenant: { url: 'sqlite:///t/{tenant}.db', tenants: {} } }, async (db) => {
      const error = await rejection(db.tenants.create('acme'));
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect(error.message).toContain(
        "db.tenants.create works on schema-mode templates only (tenants: { mode: 'schema' })",
      );
    });
  });
});
