import { Body, Controller, Get, Injectable, Module, Post as HttpPost } from '@nestjs/common';
import type { EntityManager, EntityRepository } from '@mikro-orm/core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbService, InjectRepository, MultiDbModule, type MultiDbModuleOptions } from 'nestjs-multidb';
import { type Booted, bootWith } from '../fixtures/boot.js';
import { expectNoSessions } from '../fixtures/sessions.js';
import { createDatabase, runSql, serverUrl, tablesOf } from '../fixtures/databases.js';
import { allEntities, AuditEntry, Post, User } from '../fixtures/entities.js';

@Injectable()
class WriteService {
  constructor(
    @InjectRepository(Post) private readonly posts: EntityRepository<Post>,
    @InjectRepository(User) private readonly users: EntityRepository<User>,
    @InjectRepository(AuditEntry) private readonly audit: EntityRepository<AuditEntry>,
  ) {}

  async write(email: string, title: string) {
    const user = this.users.create({ email });
    await this.users.getEntityManager().flush();
    const post = this.posts.create({ title, authorId: user.id });
    await this.posts.getEntityManager().flush();
    const entry = this.audit.create({ action: `post ${post.id} by ${user.id}` });
    await this.audit.getEntityManager().flush();
    return { user: user.id, post: post.id, audit: entry.id };
  }
}

/** Remembers the EntityManager each request saw, to compare identity maps across requests. */
@Injectable()
class SeenEntityManagers {
  readonly seen: Array<{ em: EntityManager; user: User | null }> = [];
}

@Controller()
class AppController {
  constructor(
    private readonly writes: WriteService,
    private readonly db: DbService,
    private readonly seen: SeenEntityManagers,
  ) {}

  @HttpPost('write')
  write(@Body() body: { email: string; title: string }) {
    return this.writes.write(body.email, body.title);
  }

  @Get('identity')
  async identity() {
    const em = this.db.em('auth');
    const user = await this.db.getRepository<User>(User).findOne({ email: 'ada@example.com' });
    await new Promise((resolve) => setTimeout(resolve, 100)); // overlap with the other request
    this.seen.seen.push({ em, user });
    return { found: user !== null };
  }
}

@Module({
  imports: [MultiDbModule.forFeature([Post, User, AuditEntry])],
  controllers: [AppController],
  providers: [WriteService, SeenEntityManagers],
})
class AppModule {}

describe('three databases on three engines: PostgreSQL, MariaDB and SQLite', () => {
  let booted: Booted;
  let pgDb: string;
  let mariaDb: string;
  let sqliteDir: string;
  let options: MultiDbModuleOptions;

  beforeAll(async () => {
    [pgDb, mariaDb] = await Promise.all([createDatabase('postgres', 'main'), createDatabase('mariadb', 'users')]);
    sqliteDir = await mkdtemp(join(tmpdir(), 'multidb-e2e-'));
    options = {
      databases: {
        default: serverUrl('postgres', pgDb),
        auth: { url: serverUrl('mariadb', mariaDb), pool: { max: 5 } },
        meta: 'sqlite:///meta/meta.db',
      },
      rootPath: sqliteDir,
      entities: allEntities,
    };
    booted = await bootWith([MultiDbModule.setup(options), AppModule]);
    await booted.db.createAll();
  });

  afterAll(async () => {
    await booted?.app.close();
    await rm(sqliteDir, { recursive: true, force: true });
  });

  it('uses the driver each URL names', () => {
    const platforms = booted.db.keys.map((k) => booted.db.orm(k).config.getPlatform().constructor.name);
    expect(platforms).toEqual(['PostgreSqlPlatform', 'MySqlPlatform', 'SqlitePlatform']);
  });

  it('one HTTP request writes through repositories of all three databases; each row lands in its own database only', async () => {
    const res = await request(booted.app.getHttpServer())
      .post('/write')
      .send({ email: 'ada@example.com', title: 'Hello' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ user: 1, post: 1, audit: 1 });

    expect(await runSql('postgres', pgDb, 'select id, title, author_id from posts')).toEqual([
      { id: 1, title: 'Hello', author_id: 1 },
    ]);
    expect(await runSql('mariadb', mariaDb, 'select id, email from users')).toEqual([
      { id: 1, email: 'ada@example.com' },
    ]);
    const audit = await booted.db.orm('meta').em.getConnection().execute('select action from audit_log');
    expect(audit).toEqual([{ action: 'post 1 by 1' }]);

    expect(await tablesOf('postgres', pgDb)).toEqual(['posts']);
    expect(await tablesOf('mariadb', mariaDb)).toEqual(['profiles', 'users']);
    const sqliteTables = await booted.db
      .orm('meta')
      .em.getConnection()
      .execute("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name");
    expect(sqliteTables.map((t: { name: string }) => t.name)).toEqual(['audit_log', 'posts', 'settings', 'tags']);
  });

  it('two concurrent HTTP requests get separate identity maps', async () => {
    const seen = booted.app.get(SeenEntityManagers).seen;
    seen.length = 0;
    const server = booted.app.getHttpServer();
    const [a, b] = await Promise.all([request(server).get('/identity'), request(server).get('/identity')]);
    expect([a.body, b.body]).toEqual([{ found: true }, { found: true }]);
    expect(seen).toHaveLength(2);
    const [first, second] = seen as [(typeof seen)[0], (typeof seen)[0]];
    const global = booted.db.orm('auth').em;
    expect(first.em).not.toBe(global);
    expect(second.em).not.toBe(global);
    expect(first.em).not.toBe(second.em);
    expect(first.user).not.toBe(second.user); // same row, two identity maps
    expect(first.em.getUnitOfWork().getIdentityMap().values()).toContain(first.user);
    expect(second.em.getUnitOfWork().getIdentityMap().values()).not.toContain(first.user);
  });

  it('runInContext works from a non-HTTP caller, over every database', async () => {
    const { db } = booted;
    const outside = db.em('auth');
    expect(outside).toBe(db.orm('auth').em);
    const counts = await db.runInContext(async () => {
      const forks = db.keys.map((k) => db.em(k));
      for (const [i, em] of forks.entries()) expect(em).not.toBe(db.orm(db.keys[i]).em);
      return Promise.all([
        db.getRepository(Post).count(),
        db.getRepository(User).count(),
        db.getRepository(AuditEntry).count(),
      ]);
    });
    expect(counts).toEqual([1, 1, 1]);
    await expect(db.em('auth').find(User, {})).rejects.toThrow(/global EntityManager/i);
  });

  it('createAll() again keeps the tables and their rows', async () => {
    await booted.db.createAll();
    expect(await runSql('postgres', pgDb, 'select count(*)::int as n from posts')).toEqual([{ n: 1 }]);
    expect(await runSql('mariadb', mariaDb, 'select count(*) as n from users')).toEqual([{ n: 1 }]);
  });

  it("dropAll('auth') drops only that database's tables", async () => {
    await booted.db.dropAll('auth');
    expect(await tablesOf('mariadb', mariaDb)).toEqual([]);
    expect(await tablesOf('postgres', pgDb)).toEqual(['posts']);
    const audit = await booted.db.orm('meta').em.getConnection().execute('select count(*) as n from audit_log');
    expect(audit).toEqual([{ n: 1 }]);
    await booted.db.createAll('auth');
    expect(await tablesOf('mariadb', mariaDb)).toEqual(['profiles', 'users']);
  });

  it('closing the app closes all three databases', async () => {
    const { app, db } = booted;
    const orms = db.keys.map((k) => db.orm(k));
    await app.close();
    for (const orm of orms) expect(await orm.isConnected()).toBe(false);
    await expectNoSessions('postgres', pgDb);
    await expectNoSessions('mariadb', mariaDb);
  });
});
