import { describe, expect, it } from 'vitest';
import { InvalidTenantKeyError } from 'nestjs-multidb';
import { rejection } from '../fixtures/boot.js';
import { rowsOf, withTenantApp as withApp, writeRow as write } from '../fixtures/tenant-apps.js';

describe('tenant keys that differ only in case (#13): refused where case does not tell names apart', () => {
  it('SQLite file and MySQL/MariaDB templates refuse upper-case keys; PostgreSQL keeps them apart', async () => {
    const databases = {
      default: 'sqlite://',
      tenant: { url: 'sqlite:///tenants/{tenant}.db', tenants: {} },
      maria: { url: 'mariadb://app@db/t_{tenant}', tenants: {} },
      pg: { url: 'postgresql://app@db/t_{tenant}', tenants: {} },
    };
    await withApp(databases, async (db) => {
      for (const template of ['tenant', 'maria']) {
        const error = await rejection(db.attach('Acme', undefined, template));
        expect(error).toBeInstanceOf(InvalidTenantKeyError);
        expect(error.message).toContain(
          `Tenant 'Acme' of '${template}' is not a valid tenant key here: it has upper-case letters`,
        );
        expect(error.message).toContain("'Acme' and 'acme' would share one database");
        expect(error.message).toContain("Tenant keys are not lower-cased for you: use 'acme'");
        await db.attach('acme', undefined, template);
      }
      await db.attach('Acme', undefined, 'pg');
      await db.attach('acme', undefined, 'pg');
      expect(db.listTenants('pg')).toEqual(['Acme', 'acme']);
    });
  });

  it('a factory may map an upper-case key to a name of its own; names that differ only in case are one database', async () => {
    const files: Record<string, string> = { Acme: 'sqlite:///c/customer-1.db', Globex: 'sqlite:///c/Customer-1.db' };
    const databases = {
      default: 'sqlite://',
      tenant: { url: 'sqlite://', tenants: { database: (t: string) => files[t] } },
    };
    await withApp(databases, async (db) => {
      await db.attach('Acme');
      await write(db, 'Acme', 1);
      expect((await rejection(db.attach('Globex'))).message).toContain("which 'tenant:Acme' already uses");
      expect(await rowsOf(db, 'Acme')).toEqual([{ id: 1, owner: 'Acme' }]);
    });
  });
});
