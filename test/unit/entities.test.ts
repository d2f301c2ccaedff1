import { afterEach, describe, expect, it } from 'vitest';
import { EntitySchema } from '@mikro-orm/core';
import { databaseKeyOf, inDatabase } from 'nestjs-multidb';
import { type Booted, boot, memoryDatabases } from '../fixtures/boot.js';
import {
  allEntities,
  ArchivedPost,
  AuditEntry,
  AuthEntity,
  Post,
  Profile,
  ProfileSchema,
  SettingSchema,
  Tag,
  TagSchema,
  User,
} from '../fixtures/entities.js';

describe('which database an entity lives in', () => {
  it.each([
    ['legacy decorators without __database__', Post, 'default'],
    ['a child of an abstract base with __database__', User, 'auth'],
    ['a child overriding its base', AuditEntry, 'meta'],
    ['defineEntity with a class of its own', ProfileSchema, 'auth'],
    ["defineEntity's class", Profile, 'auth'],
    ['an EntitySchema without a class (inDatabase)', SettingSchema, 'meta'],
    ['an EntitySchema bound to a class', TagSchema, 'meta'],
    ['the class bound to an EntitySchema', Tag, 'meta'],
  ])('%s', (_, entity, key) => {
    expect(databaseKeyOf(entity)).toBe(key);
  });

  it('reads the base class key for every child, and the override only for the overriding child', () => {
    expect(AuthEntity.__database__).toBe('auth');
    expect(databaseKeyOf(User)).toBe('auth');
    expect(databaseKeyOf(AuditEntry)).toBe('meta');
  });

  it('an EntitySchema extending a schema with a key inherits it', () => {
    const Base = inDatabase(
      'auth',
      new EntitySchema({ name: 'BaseThing', abstract: true, properties: { id: { type: 'integer', primary: true } } }),
    );
    const Child = new EntitySchema({ name: 'ChildThing', extends: Base, properties: { note: { type: 'string' } } });
    expect(databaseKeyOf(Child)).toBe('auth');
  });

  describe('registered with the module', () => {
    let booted: Booted | undefined;
    afterEach(async () => booted?.app.close());

    it('puts every style into its database and only there', async () => {
      booted = await boot({ databases: memoryDatabases, entities: allEntities });
      const { db } = booted;
      expect(db.databaseOf(Post)).toBe('default');
      expect(db.databaseOf(User)).toBe('auth');
      expect(db.databaseOf(AuditEntry)).toBe('meta');
      expect(db.databaseOf(ProfileSchema)).toBe('auth');
      expect(db.databaseOf(Profile)).toBe('auth');
      expect(db.databaseOf(SettingSchema)).toBe('meta');
      expect(db.databaseOf(TagSchema)).toBe('meta');
      expect(db.databaseOf(Tag)).toBe('meta');
      const tables = (key: string) =>
        [...db.orm(key).getMetadata()]
          .filter((m) => !m.abstract && !m.embeddable)
          .map((m) => m.tableName)
          .sort();
      expect(tables('default')).toEqual(['posts']);
      expect(tables('auth')).toEqual(['profiles', 'users']);
      expect(tables('meta')).toEqual(['audit_log', 'posts', 'settings', 'tags']);
    });

    it('keeps two tables of the same name in two databases apart', async () => {
      booted = await boot({ databases: memoryDatabases, entities: allEntities });
      const { db } = booted;
      await db.createAll();
      await db.runInContext(async () => {
        db.emFor(Post).create(Post, { title: 'in default' });
        db.emFor(ArchivedPost).create(ArchivedPost, { headline: 'in meta' });
        db.emFor(ArchivedPost).create(ArchivedPost, { headline: 'also in meta' });
        await Promise.all([db.em('default').flush(), db.em('meta').flush()]);
      });
      const rows = async (key: string) => db.orm(key).em.getConnection().execute('select * from posts');
      expect(await rows('default')).toEqual([{ id: 1, title: 'in default', author_id: null }]);
      expect((await rows('meta')).map((r: { headline: string }) => r.headline)).toEqual(['in meta', 'also in meta']);
    });
  });
});
