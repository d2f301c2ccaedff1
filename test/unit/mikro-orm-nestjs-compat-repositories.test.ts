import { Controller, Get, Injectable, Module } from '@nestjs/common';
import type { EntityRepository } from '@mikro-orm/core';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { EntityDatabaseError, getRepositoryToken, InjectRepository, MultiDbError, MultiDbModule } from 'nestjs-multidb';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import {
  Book,
  BookRepository,
  NoteRepository,
  NoteSchema,
  ShelfRepository,
  ShelfSchema,
} from '../fixtures/compat-entities.js';
import { Post, User } from '../fixtures/entities.js';

// @mikro-orm/nestjs idiom: the custom repository class itself is the token, no decorator
@Injectable()
class Library {
  constructor(
    readonly books: BookRepository,
    readonly notes: NoteRepository,
    readonly shelves: ShelfRepository,
  ) {}
}

@Controller('books')
class BooksController {
  constructor(private readonly books: BookRepository) {}

  @Get()
  async get(): Promise<{ fork: boolean; title: string | undefined }> {
    const book = await this.books.byTitle('Dune');
    return {
      fork: this.books.getEntityManager() !== this.books.getEntityManager().getContext(false),
      title: book?.title,
    };
  }
}

@Module({
  imports: [MultiDbModule.forFeature([Book, ShelfSchema])],
  providers: [Library],
  controllers: [BooksController],
  exports: [Library],
})
class LibraryModule {}

const databases = { default: 'sqlite://', library: 'sqlite://', auth: 'sqlite://' };

describe('custom repository classes as tokens', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  it("forFeature and setup({ entities }) provide each entity's repository class, in the database the entity names", async () => {
    booted = await boot({ databases, entities: [NoteSchema, User] }, { imports: [LibraryModule] });
    const { app, db } = booted;
    const lib = app.get(Library);
    expect(lib.books).toBeInstanceOf(BookRepository);
    expect(lib.notes).toBeInstanceOf(NoteRepository);
    expect(lib.shelves).toBeInstanceOf(ShelfRepository);
    expect(lib.notes.custom()).toBe('note');
    expect(lib.shelves.custom()).toBe('shelf');
    expect(lib.books).toBe(app.get(getRepositoryToken(Book)));
    await db.createAll();
    await db.runInContext(async () => {
      // request-aware: inside a context the repository works on that context's fork of 'library'
      expect(lib.books.getEntityManager().getContext()).toBe(db.em('library'));
      lib.books.create({ title: 'Dune' });
      await db.em('library').flush();
    });
    const res = await request(app.getHttpServer()).get('/books').expect(200);
    expect(res.body).toEqual({ fork: true, title: 'Dune' });
    expect(
      await db
        .orm('default')
        .em.fork()
        .getConnection()
        .execute('select name from sqlite_master where name = ?', ['books']),
    ).toEqual([]);
  });
});

@Injectable()
class StagingPosts {
  constructor(
    @InjectRepository(Post) readonly production: EntityRepository<Post>,
    @InjectRepository(Post, 'staging') readonly staging: EntityRepository<Post>,
  ) {}
}

describe('@InjectRepository(Entity, key) for an entity several databases hold', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });
  const shared = { default: 'sqlite://', staging: { url: 'sqlite://', entitiesOf: 'default' }, auth: 'sqlite://' };

  it.each([
    ['setup({ entities })', () => boot({ databases: shared, entities: [Post, User] }, { providers: [StagingPosts] })],
    [
      'forFeature([Post], "staging")',
      () => {
        @Module({
          imports: [MultiDbModule.forFeature([Post], 'staging')],
          providers: [StagingPosts],
          exports: [StagingPosts],
        })
        class StagingModule {}
        return boot({ databases: shared, entities: [User] }, { imports: [StagingModule] });
      },
    ],
  ])('%s: the repository of the key named, request-aware', async (_, start) => {
    booted = await start();
    const { app, db } = booted;
    const svc = app.get(StagingPosts);
    expect(getRepositoryToken(Post, 'default')).toBe(getRepositoryToken(Post));
    expect(svc.staging.getEntityManager()).toBe(db.orm('staging').em);
    expect(svc.production.getEntityManager()).toBe(db.orm('default').em);
    await db.createAll();
    await db.runInContext(async () => {
      svc.staging.create({ title: 'draft' });
      await svc.staging.getEntityManager().flush();
    });
    expect(await db.orm('staging').em.fork().count(Post)).toBe(1);
    expect(await db.orm('default').em.fork().count(Post)).toBe(0);
  });

  it('a key that does not hold the entity fails at start-up, naming the entity and both keys', async () => {
    @Module({ imports: [MultiDbModule.forFeature([Post], 'auth')] })
    class WrongKeyModule {}
    const error = await rejection(boot({ databases: shared, entities: [User] }, { imports: [WrongKeyModule] }));
    expect(error).toBeInstanceOf(EntityDatabaseError);
    expect(error.message).toContain(
      "@InjectRepository(Post, 'auth'): database 'auth' does not hold Post (it lives in 'default')",
    );
  });

  it('an unknown key fails at start-up with a MultiDbError naming it', async () => {
    @Module({ imports: [MultiDbModule.forFeature([Post], 'nope')] })
    class UnknownKeyModule {}
    const error = await rejection(boot({ databases: shared, entities: [User] }, { imports: [UnknownKeyModule] }));
    expect(error).toBeInstanceOf(MultiDbError);
    expect(error.message).toContain("'nope'");
  });
});
