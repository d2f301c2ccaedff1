import { Body, Controller, Get, Injectable, Module, Post as HttpPost } from '@nestjs/common';
import type { EntityManager, EntityRepository } from '@mikro-orm/core';
import { Seeder } from '@mikro-orm/seeder';
import { Test } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DbService,
  InjectEntityManager,
  InjectRepository,
  MultiDbModule,
  type MultiDbModuleOptions,
} from 'nestjs-multidb';
import { rollbackEachTest, seed, swapDatabases, truncateAll } from 'nestjs-multidb/testing';
import { type Booted, bootWith } from '../fixtures/boot.js';
import { createDatabase, runSql, runSqlite, serverUrl } from '../fixtures/databases.js';
import { AuditEntry, Post, User } from '../fixtures/entities.js';

@Injectable()
class Writer {
  constructor(
    @InjectRepository(User) private readonly users: EntityRepository<User>,
    @InjectEntityManager('default') private readonly em: EntityManager,
  ) {}

  async addUser(email: string): Promise<void> {
    this.users.create({ email });
    await this.users.getEntityManager().flush();
  }

  /** Commits explicitly, as application code does. */
  async addPostCommitted(title: string): Promise<void> {
    await this.em.transactional(async (tx) => {
      tx.create(Post, { title });
    });
  }
}

@Controller('audit')
class AuditController {
  constructor(private readonly db: DbService) {}

  @HttpPost()
  async add(@Body() body: { action: string }) {
    const em = this.db.em('meta');
    em.create(AuditEntry, { action: body.action });
    await em.flush();
    return { ok: true };
  }

  @Get('count')
  async count() {
    return { n: await this.db.getRepository(AuditEntry).count() };
  }
}

@Module({
  imports: [MultiDbModule.forFeature([User, Post, AuditEntry])],
  providers: [Writer],
  controllers: [AuditController],
})
class FeatureModule {}

class UserSeeder extends Seeder {
  async run(em: EntityManager): Promise<void> {
    em.create(User, { email: 'seeded-1@example.com' });
    em.create(User, { email: 'seeded-2@example.com' });
  }
}

let pg: string;
let maria: string;
let dir: string;
let options: MultiDbModuleOptions;
let booted: Booted;

const outside = {
  posts: async () =>
    Number((await runSql<{ n: number }>('postgres', pg, 'select count(*)::int as n from posts'))[0]?.n),
  users: async () => Number((await runSql<{ n: number }>('mariadb', maria, 'select count(*) as n from users'))[0]?.n),
  audit: async () =>
    Number((await runSqlite<{ n: number }>(join(dir, 'meta.db'), 'select count(*) as n from audit_log'))[0]?.n),
};

beforeAll(async () => {
  [pg, maria] = await Promise.all([
    createDatabase('postgres', 'helpers_main'),
    createDatabase('mariadb', 'helpers_users'),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'multidb-helpers-'));
  options = {
    databases: {
      default: serverUrl('postgres', pg),
      auth: serverUrl('mariadb', maria, 'mariadb'),
      meta: `sqlite:///${join(dir, 'meta.db')}`,
    },
    entities: [Post, User, AuditEntry],
  };
  booted = await bootWith([MultiDbModule.setup(options), FeatureModule]);
  await booted.db.createAll();
});
afterAll(async () => {
  await booted?.app.close();
  await rm(dir, { recursive: true, force: true });
});

describe('per-test rollback over PostgreSQL, MariaDB and SQLite', () => {
  rollbackEachTest(() => booted.db, { beforeEach, afterEach });

  it('sees its own writes: through a service, a repository and an HTTP request', async () => {
    const { app, db } = booted;
    await app.get(Writer).addUser('ada@example.com');
    const posts = db.getRepository<Post>(Post);
    posts.create({ title: 'through a repository' });
    await posts.getEntityManager().flush();
    expect((await request(app.getHttpServer()).post('/audit').send({ action: 'through HTTP' })).status).toBe(201);

    expect(await db.getRepository(User).count()).toBe(1);
    expect(await db.em('default').count(Post)).toBe(1);
    expect((await request(app.getHttpServer()).get('/audit/count')).body).toEqual({ n: 1 });
  });

  it('starts clean: nothing the previous test wrote survived, on any key', async () => {
    const { app, db } = booted;
    expect(await db.getRepository(User).count()).toBe(0);
    expect(await db.getRepository(Post).count()).toBe(0);
    expect((await request(app.getHttpServer()).get('/audit/count')).body).toEqual({ n: 0 });
    expect([await outside.posts(), await outside.users(), await outside.audit()]).toEqual([0, 0, 0]);
  });

  it('an explicit commit inside a test is visible in it, and only in it', async () => {
    const { app, db } = booted;
    await app.get(Writer).addPostCommitted('committed by the code');
    const em = db.em('auth');
    await em.begin();
    em.create(User, { email: 'committed@example.com' });
    await em.commit();
    expect(await db.getRepository(Post).count()).toBe(1);
    expect(await db.getRepository(User).count()).toBe(1);
    expect([await outside.posts(), await outside.users()]).toEqual([0, 0]);
  });

  it('and it is undone afterwards', async () => {
    expect([await outside.posts(), await outside.users(), await outside.audit()]).toEqual([0, 0, 0]);
    expect(await booted.db.getRepository(Post).count()).toBe(0);
  });
});

describe('truncateAll and seeding', () => {
  it('truncateAll empties the registered tables, keeps the schema and restarts ids', async () => {
    const { db } = booted;
    await db.runInContext(async () => {
      db.em('default').create(Post, { title: 'a' });
      db.em('auth').create(User, { email: 'a@example.com' });
      db.em('meta').create(AuditEntry, { action: 'a' });
      await Promise.all(db.keys.map((k) => db.em(k).flush()));
    });
    expect([await outside.posts(), await outside.users(), await outside.audit()]).toEqual([1, 1, 1]);
    await truncateAll(db);
    expect([await outside.posts(), await outside.users(), await outside.audit()]).toEqual([0, 0, 0]);
    const ids = await db.runInContext(async () => {
      const post = db.em('default').create(Post, { title: 'b' });
      const user = db.em('auth').create(User, { email: 'b@example.com' });
      const entry = db.em('meta').create(AuditEntry, { action: 'b' });
      await Promise.all(db.keys.map((k) => db.em(k).flush()));
      return [post.id, user.id, entry.id];
    });
    expect(ids).toEqual([1, 1, 1]);
    await truncateAll(db, 'meta');
    expect([await outside.posts(), await outside.users(), await outside.audit()]).toEqual([1, 1, 0]);
    await truncateAll(db);
  });

  it('seeding lands rows in the seeded database only', async () => {
    const { db } = booted;
    await seed(db, 'auth', UserSeeder);
    expect(
      (await runSql<{ email: string }>('mariadb', maria, 'select email from users order by id')).map((r) => r.email),
    ).toEqual(['seeded-1@example.com', 'seeded-2@example.com']);
    expect([await outside.posts(), await outside.audit()]).toEqual([0, 0]);
    await truncateAll(db);
  });
});

describe('swapDatabases', () => {
  it('turns the PostgreSQL + MariaDB set-up (setupAsync) into all in-memory SQLite with one call', async () => {
    const builder = Test.createTestingModule({
      imports: [MultiDbModule.setupAsync({ useFactory: () => options, databaseKeys: ['auth', 'meta'] }), FeatureModule],
    });
    const moduleRef = await swapDatabases(builder, 'sqlite').compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const db = app.get(DbService);
      expect(db.keys.map((k) => db.info(k))).toEqual([
        { key: 'default', driver: 'sqlite', url: 'sqlite://' },
        { key: 'auth', driver: 'sqlite', url: 'sqlite://' },
        { key: 'meta', driver: 'sqlite', url: 'sqlite://' },
      ]);
      await db.createAll();
      await db.runInContext(() => app.get(Writer).addUser('in-memory@example.com'));
      expect(await db.runInContext(() => db.getRepository(User).count())).toBe(1);
      expect(await outside.users()).toBe(0); // the real MariaDB database was not touched
    } finally {
      await app.close();
    }
  });

  it('swaps one key and keeps the others and their options', async () => {
    const builder = Test.createTestingModule({ imports: [MultiDbModule.setup(options), FeatureModule] });
    const moduleRef = await swapDatabases(builder, { auth: 'sqlite://' }).compile();
    try {
      const db = moduleRef.get(DbService);
      expect(db.keys.map((k) => db.info(k).driver)).toEqual(['postgresql', 'sqlite', 'sqlite']);
      expect(db.info('meta').url).toBe(`sqlite:///${join(dir, 'meta.db')}`);
    } finally {
      await moduleRef.close();
    }
  });
});
