import { MikroORM, type Options } from '@mikro-orm/core';
import { MariaDbDriver } from '@mikro-orm/mariadb';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbService } from 'nestjs-multidb';
import { type Booted, boot } from '../fixtures/boot.js';
import { createDatabase, serverUrl } from '../fixtures/databases.js';
import { libraryEntities } from '../fixtures/shared-metadata.js';

const pg = libraryEntities('pg');
const maria = libraryEntities('maria');

/** The create-schema SQL of an ORM that discovers `entities` on its own (never connected). */
async function ownSql(driver: Options['driver'], entities: object[]): Promise<string> {
  const orm = await MikroORM.init({ driver, dbName: 'never_connected', entities } as Options);
  try {
    return await orm.schema.getCreateSchemaSQL({ wrap: false });
  } finally {
    await orm.close(true);
  }
}

describe('tenants sharing metadata on PostgreSQL and MariaDB (#15)', () => {
  let booted: Booted;
  let db: DbService;

  beforeAll(async () => {
    booted = await boot({
      databases: {
        default: 'sqlite://',
        pg: { url: serverUrl('postgres', 'shmeta_{tenant}'), tenants: { list: () => ['a', 'b'] } },
        maria: { url: serverUrl('mariadb', 'shmeta_{tenant}', 'mariadb'), tenants: { list: () => ['a', 'b'] } },
      },
      entities: [...Object.values(pg), ...Object.values(maria)],
    });
    db = booted.db;
  });
  afterAll(() => booted?.app.close());

  /** fn with template's tenants a and b held at once, each by its own ORM. */
  const inBoth = <T>(template: string, fn: (a: MikroORM, b: MikroORM) => Promise<T>) =>
    db.runForTenant('a', () => {
      const a = db.orm(template);
      return db.runForTenant('b', () => fn(a, db.orm(template)));
    });

  for (const [template, driver, model, quote] of [
    ['pg', PostgreSqlDriver, pg, '"'],
    ['maria', MariaDbDriver, maria, '`'],
  ] as const) {
    it(`${template}: both tenants share the metadata and create the schema an ORM of that engine discovers on its own`, async () => {
      const expected = await ownSql(driver, Object.values(model));
      expect(expected).toContain(`create table ${quote}books_labels${quote}`);
      await inBoth(template, async (a, b) => {
        expect(a.getMetadata().getByClassName('Book')).toBe(b.getMetadata().getByClassName('Book'));
        expect(await a.schema.getCreateSchemaSQL({ wrap: false })).toBe(expected);
        expect(await b.schema.getCreateSchemaSQL({ wrap: false })).toBe(expected);
      });
    });

    it(`${template}: each tenant writes and reads its own rows through the shared relations (m:1, m:n)`, async () => {
      for (const tenant of ['a', 'b']) {
        await db.runForTenant(tenant, async () => {
          await db.orm(template).schema.refresh();
          const em = db.em(template);
          const author = em.create(model.Author, { id: 1, name: `${tenant}-author` });
          const book = em.create(model.Book, { id: 1, title: `${tenant}-book`, author });
          book.labels.add(em.create(model.Label, { id: 1, text: `${tenant}-label` }));
          await em.flush();
        });
      }
      for (const tenant of ['a', 'b']) {
        const seen = await db.runForTenant(tenant, async () => {
          const author = await db.em(template).findOneOrFail(model.Author, 1, { populate: ['books.labels'] });
          return [author.name, author.books.getItems().map((x) => [x.title, x.labels.getItems().map((l) => l.text)])];
        });
        expect(seen).toEqual([`${tenant}-author`, [[`${tenant}-book`, [`${tenant}-label`]]]]);
      }
    });
  }

  it('PostgreSQL schema per tenant: tenants whose schema differs do not share metadata (pivot tables name their own schema)', async () => {
    const name = await createDatabase('postgres', 'shmeta_schemas');
    const model = libraryEntities('bySchema');
    const app = await boot({
      databases: {
        default: 'sqlite://',
        bySchema: { url: `${serverUrl('postgres', name)}?schema=shm_{tenant}`, tenants: { list: () => ['a', 'b'] } },
      },
      entities: Object.values(model),
    });
    try {
      const seen = await app.db.runForTenant('a', () => {
        const a = app.db.orm('bySchema');
        return app.db.runForTenant('b', async () => {
          const b = app.db.orm('bySchema');
          expect(a.getMetadata().getByClassName('Book')).not.toBe(b.getMetadata().getByClassName('Book'));
          const sqlA = await a.schema.getCreateSchemaSQL({ wrap: false });
          expect(sqlA).toContain('references "shm_a"."books"');
          expect(sqlA).not.toContain('shm_b');
          expect(await b.schema.getCreateSchemaSQL({ wrap: false })).toContain('references "shm_b"."books"');
          return 'checked';
        });
      });
      expect(seen).toBe('checked');
      for (const tenant of ['a', 'b']) {
        const labels = await app.db.runForTenant(tenant, async () => {
          await app.db.orm('bySchema').schema.refresh();
          const em = app.db.em('bySchema');
          const author = em.create(model.Author, { id: 1, name: tenant });
          em.create(model.Book, { id: 1, title: tenant, author }).labels.add(
            em.create(model.Label, { id: 1, text: tenant }),
          );
          await em.flush();
          const book = await em.fork().findOneOrFail(model.Book, 1, { populate: ['labels'] });
          return book.labels.getItems().map((l) => l.text);
        });
        expect(labels).toEqual([tenant]);
      }
    } finally {
      await app.app.close();
    }
  });
});
