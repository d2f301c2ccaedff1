import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DbService } from 'nestjs-multidb';
import { type Booted, boot } from '../fixtures/boot.js';
import { lateNote, libraryEntities } from '../fixtures/shared-metadata.js';

const { Author, Book, Label } = libraryEntities('tenant');

/** Writes tenant's author 1 (named after the tenant) with one labelled book. */
async function writeLibrary(db: DbService, tenant: string): Promise<void> {
  await db.runForTenant(tenant, async () => {
    await db.createAll('tenant');
    const em = db.em('tenant');
    const author = em.create(Author, { id: 1, name: `${tenant}-author` });
    const book = em.create(Book, { id: 1, title: `${tenant}-book`, author });
    book.labels.add(em.create(Label, { id: 1, text: `${tenant}-label` }));
    await em.flush();
  });
}

describe("tenant ORMs share their template's metadata (#15), SQLite", () => {
  let booted: Booted;
  let db: DbService;
  /** fn with tenants a and b held at once (maxOpen 2), each by its own ORM. */
  const inBoth = <T>(fn: (a: MikroORM, b: MikroORM) => Promise<T>) =>
    db.runForTenant('a', () => {
      const a = db.orm('tenant');
      return db.runForTenant('b', () => fn(a, db.orm('tenant')));
    });

  beforeEach(async () => {
    const rootPath = await mkdtemp(join(tmpdir(), 'multidb-shared-meta-'));
    const template = { url: 'sqlite:///tenants/{tenant}.db', tenants: { maxOpen: 2 } };
    booted = await boot({
      databases: { default: 'sqlite://', tenant: template },
      entities: [Author, Book, Label],
      rootPath,
    });
    db = booted.db;
    await db.attach('a');
    await db.attach('b');
  });
  afterEach(() => booted.app.close());

  it('two tenants: the same EntityMetadata objects, but their own ORM, EntityManager, identity map and rows', async () => {
    await writeLibrary(db, 'a');
    await writeLibrary(db, 'b');
    await inBoth(async (a, b) => {
      expect(a).not.toBe(b);
      expect(a.getMetadata()).not.toBe(b.getMetadata());
      for (const name of ['Author', 'Book', 'Label']) {
        expect(a.getMetadata().getByClassName(name)).toBe(b.getMetadata().getByClassName(name));
      }
      expect(a.em).not.toBe(b.em);
      const emA = a.em.fork();
      const emB = b.em.fork();
      const fromA = await emA.findOneOrFail(Author, 1, { populate: ['books.labels'] });
      expect(emB.getUnitOfWork().getIdentityMap().values()).toEqual([]);
      const fromB = await emB.findOneOrFail(Author, 1, { populate: ['books.labels'] });
      expect(fromA).not.toBe(fromB);
      expect([fromA.name, fromA.books.getItems().map((x) => x.labels.getItems().map((l) => l.text))]).toEqual([
        'a-author',
        [['a-label']],
      ]);
      expect([fromB.name, fromB.books.getItems().map((x) => x.title)]).toEqual(['b-author', ['b-book']]);
      expect(emA.getUnitOfWork().getById(Author, 1)).toBe(fromA);
      expect(emB.getUnitOfWork().getById(Author, 1)).toBe(fromB);
    });
  });

  it('metadata-derived SQL: each tenant creates the schema an ORM discovering on its own creates (pivot table included)', async () => {
    const own = await MikroORM.init({
      driver: SqliteDriver,
      dbName: ':memory:',
      entities: Object.values(libraryEntities('own')),
    });
    try {
      const expected = await own.schema.getCreateSchemaSQL({ wrap: false });
      expect(expected).toContain('create table `books_labels`');
      await inBoth(async (a, b) => {
        expect(a.getMetadata(Book)).toBe(b.getMetadata(Book));
        expect(await a.schema.getCreateSchemaSQL({ wrap: false })).toBe(expected);
        expect(await b.schema.getCreateSchemaSQL({ wrap: false })).toBe(expected);
      });
    } finally {
      await own.close(true);
    }
  });

  it("a tenant's discoverEntity() keeps the new entity to itself: the other tenants and later ones never see it", async () => {
    await writeLibrary(db, 'a');
    const note = lateNote();
    const shared = await inBoth(async (a, b) => {
      const book = b.getMetadata(Book);
      expect(a.getMetadata(Book)).toBe(book);
      a.discoverEntity(note);
      expect(a.getMetadata(Book)).not.toBe(book);
      expect(a.getMetadata().getByClassName('LateNote', false)?.tableName).toBe('late_notes');
      expect(b.getMetadata().getByClassName('LateNote', false)).toBeUndefined();
      expect(b.getMetadata(Book)).toBe(book);
      // tenant a still works, with its own copy, the new entity included
      await a.schema.update();
      const em = a.em.fork();
      em.create(note, { id: 1, text: 'only in a' });
      await em.flush();
      expect(await a.em.fork().count(note)).toBe(1);
      expect((await a.em.fork().findOneOrFail(Author, 1)).name).toBe('a-author');
      expect(await b.schema.getCreateSchemaSQL()).not.toContain('late_notes');
      return book;
    });
    // a's EntityManager of its context (taken before discoverEntity) knows the new entity too
    await db.runForTenant('a', async () => {
      db.em('tenant').create(note, { id: 2, text: 'through the context' });
      await db.em('tenant').flush();
      expect(await db.em('tenant').count(note)).toBe(2);
    });
    await db.attach('c');
    await db.runForTenant('c', async () => {
      expect(db.orm('tenant').getMetadata(Book)).toBe(shared);
      // a's copy had taken the entity prototypes over: c's open gave them back to the shared metadata
      expect(Object.getOwnPropertyDescriptor(shared.prototype, '__meta')?.value).toBe(shared);
      expect(db.orm('tenant').getMetadata().getByClassName('LateNote', false)).toBeUndefined();
      expect(await db.orm('tenant').schema.getCreateSchemaSQL()).not.toContain('late_notes');
    });
  });

  it('an evicted tenant (maxOpen 2) closes its own ORM only: the others and a reopened one keep the shared metadata', async () => {
    const shared = await db.runForTenant('a', () => db.orm('tenant').getMetadata(Book));
    await writeLibrary(db, 'a');
    await writeLibrary(db, 'b');
    await db.attach('c');
    await writeLibrary(db, 'c'); // evicts a
    const rows = async (tenant: string) =>
      db.runForTenant(tenant, async () => (await db.em('tenant').findOneOrFail(Author, 1)).name);
    expect([await rows('b'), await rows('c'), await rows('a')]).toEqual(['b-author', 'c-author', 'a-author']);
    expect(await db.runForTenant('a', () => db.orm('tenant').getMetadata(Book))).toBe(shared);
    expect(db.tenantStats('tenant').opened).toBeGreaterThanOrEqual(4);
  });
});
