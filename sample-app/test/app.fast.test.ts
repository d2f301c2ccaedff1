import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DbService } from 'nestjs-multidb';
import { rollbackEachTest, swapDatabases } from 'nestjs-multidb/testing';
import { AppModule } from '../src/app.module.js';

/**
 * The sample app's fast suite: its own AppModule with every database swapped for in-memory
 * SQLite, and every test rolled back. (The e2e suite runs it on real servers.)
 */
describe('sample app (fast, in-memory)', () => {
  let app: INestApplication;
  let db: DbService;

  beforeAll(async () => {
    const builder = Test.createTestingModule({ imports: [AppModule] });
    const moduleRef = await swapDatabases(builder, 'sqlite', { runOnStart: false }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    await app.init();
    db = app.get(DbService);
    await db.createAll();
  });
  afterAll(() => app.close());
  rollbackEachTest(() => db, { beforeEach, afterEach });

  const http = () => request(app.getHttpServer());

  it('runs on three in-memory SQLite databases', () => {
    expect(db.keys.map((k) => db.info(k).url)).toEqual(['sqlite://', 'sqlite://', 'sqlite://']);
  });

  it('creates a user and a post by that user, and audits both', async () => {
    const user = await http().post('/users').send({ email: 'ada@example.com', displayName: 'Ada' });
    expect(user.status).toBe(201);
    const post = await http().post('/posts').send({ title: 'Hello', body: 'World', authorId: user.body.id });
    expect(post.status).toBe(201);
    expect((await http().get(`/posts/${post.body.id}`)).body.author).toMatchObject({ email: 'ada@example.com' });
    expect((await http().get('/audit')).body.items.map((a: { action: string }) => a.action)).toEqual([
      'post.created',
      'user.created',
    ]);
  });

  it('rejects a post whose author is not in auth, and a duplicate email', async () => {
    expect((await http().post('/posts').send({ title: 'x', body: '', authorId: 1 })).status).toBe(400);
    await http().post('/users').send({ email: 'a@example.com', displayName: 'A' });
    expect((await http().post('/users').send({ email: 'a@example.com', displayName: 'B' })).status).toBe(409);
  });

  it('starts each test from empty databases', async () => {
    expect((await http().get('/users')).body.total).toBe(0);
    expect((await http().get('/audit')).body.total).toBe(0);
  });
});
