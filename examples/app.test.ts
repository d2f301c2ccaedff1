import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { DbService } from 'nestjs-multidb';
import { rollbackEachTest, swapDatabases } from 'nestjs-multidb/testing';
import { AppModule, Note } from './quickstart.js';

let app: INestApplication;
let db: DbService;

beforeAll(async () => {
  // the app's own module, every database swapped for in-memory SQLite
  const moduleRef = await swapDatabases(Test.createTestingModule({ imports: [AppModule] }), 'sqlite').compile();
  app = moduleRef.createNestApplication();
  await app.init();
  db = app.get(DbService);
  await db.createAll();
});

afterAll(() => app.close());

// every test runs in one transaction per database, rolled back after it
rollbackEachTest(() => db, { beforeEach, afterEach });

it('adds a note through HTTP and sees it in the default database', async () => {
  const res = await request(app.getHttpServer()).post('/notes').send({ text: 'hello' });
  expect(res.status).toBe(201);
  expect(await db.getRepository(Note).count()).toBe(1);
});

it('starts every test from clean databases', async () => {
  expect(await db.getRepository(Note).count()).toBe(0);
  expect((await request(app.getHttpServer()).get('/counts')).body).toEqual({ notes: 0, accounts: 0 });
});
