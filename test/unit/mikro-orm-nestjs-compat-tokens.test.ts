import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EntityManager, MikroORM } from '@mikro-orm/core';
import { EntityManager as PgEntityManager, MikroORM as PgMikroORM } from '@mikro-orm/postgresql';
import { SqlEntityManager, SqlMikroORM } from '@mikro-orm/sql';
import { EntityManager as SqliteEntityManager, MikroORM as SqliteMikroORM } from '@mikro-orm/sqlite';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { DbService, MultiDbError, MultiDbModule } from 'nestjs-multidb';
import { type Booted, boot, bootWith, rejection } from '../fixtures/boot.js';
import { Post, User } from '../fixtures/entities.js';

const databases = { default: 'sqlite://', auth: 'sqlite://' };
// setupAsync registers the classes of every installed driver package (its URLs are not known when the
// module is defined); setup() those of the engines its URLs use (a mismatch on servers: test/e2e/mikro-orm-nestjs-compat-engines)
const asyncRoot = () =>
  MultiDbModule.setupAsync({ useFactory: () => ({ databases, entities: [Post, User] }), databaseKeys: ['auth'] });

// @mikro-orm/nestjs idiom: inject by class, no decorator (design:paramtypes carries the class)
@Injectable()
class ByClass {
  constructor(
    readonly em: EntityManager,
    readonly orm: MikroORM,
    readonly sqlEm: SqlEntityManager,
    readonly sqlOrm: SqlMikroORM,
    readonly sqliteEm: SqliteEntityManager,
    readonly sqliteOrm: SqliteMikroORM,
  ) {}
}

@Controller('by-class')
class ByClassController {
  constructor(private readonly em: EntityManager) {}

  @Get()
  async get(): Promise<{ fork: boolean; posts: number }> {
    return { fork: this.em.getContext() !== this.em, posts: await this.em.count(Post) };
  }
}

@Injectable()
class WantsPostgres {
  constructor(readonly em: PgEntityManager) {}
}

describe('@mikro-orm/nestjs class tokens', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  it("core and SQLite driver classes resolve to the 'default' database's request-aware EntityManager and ORM", async () => {
    booted = await boot(
      { databases, entities: [Post, User] },
      { providers: [ByClass], controllers: [ByClassController] },
    );
    const { app, db } = booted;
    const svc = app.get(ByClass);
    for (const em of [svc.em, svc.sqlEm, svc.sqliteEm]) expect(em).toBe(db.orm('default').em);
    for (const orm of [svc.orm, svc.sqlOrm, svc.sqliteOrm]) expect(orm).toBe(db.orm('default'));
    expect(app.get(EntityManager)).toBe(db.em());
    expect(app.get(MikroORM)).toBe(db.orm());
    await db.createAll();
    const res = await request(app.getHttpServer()).get('/by-class').expect(200);
    expect(res.body).toEqual({ fork: true, posts: 0 });
    // the same EntityManager resolves to the request context's fork inside db.runInContext
    await db.runInContext(async () => expect(svc.em.getContext()).toBe(db.em('default')));
  });

  it("a driver class of another engine than 'default' fails the start-up with a MultiDbError naming key and engine (setupAsync)", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [asyncRoot()],
      providers: [WantsPostgres],
    }).compile();
    const db = moduleRef.get(DbService);
    const error = await rejection(moduleRef.createNestApplication({ logger: false }).init());
    // the databases that started are closed again, or their pools would keep the process alive
    expect(db.isClosed).toBe(true);
    expect(error).toBeInstanceOf(MultiDbError);
    expect(error.message).toContain('WantsPostgres');
    expect(error.message).toContain('PostgreSqlEntityManager');
    expect(error.message).toContain("database 'default'");
    expect(error.message).toContain('sqlite');
  });

  it('Test.overrideProvider(EntityManager) replaces what class-token consumers get', async () => {
    const fake = { fake: true };
    const moduleRef = await Test.createTestingModule({
      imports: [MultiDbModule.setup({ databases, entities: [Post, User] })],
      providers: [ByClass],
    })
      .overrideProvider(EntityManager)
      .useValue(fake)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    booted = { app: await app.init(), db: moduleRef.get(DbService) };
    expect(app.get(ByClass).em).toBe(fake);
    expect(app.get(ByClass).sqlEm).toBe(booted.db.orm('default').em);
  });

  it('an unused mismatched class token does not stop the start-up; looking it up refuses every use (setupAsync)', async () => {
    booted = await bootWith([asyncRoot()]);
    const pgOrm = booted.app.get(PgMikroORM);
    expect(() => pgOrm.em).toThrow(MultiDbError);
    expect(() => pgOrm.em).toThrow(/PostgreSqlMikroORM.*'default'.*sqlite/);
  });

  it('class tokens follow the default key when it is not the first one configured, in a non-global module too', async () => {
    @Module({
      imports: [
        MultiDbModule.setup({
          databases: { auth: 'sqlite://', default: 'sqlite://' },
          entities: [Post, User],
          isGlobal: false,
        }),
      ],
      providers: [ByClass],
    })
    class LocalModule {}
    const moduleRef = await Test.createTestingModule({ imports: [LocalModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const db = app.get(DbService);
      expect(app.get(ByClass).em).toBe(db.orm('default').em);
      expect(app.get(ByClass).em).not.toBe(db.orm('auth').em);
    } finally {
      await app.close();
    }
  });
});

describe('driver packages setup() loads', () => {
  it('only those of the engines its URLs name (others are not loaded for class tokens)', async () => {
    const { driverClassTokens, enginesOf } = await import('../../src/compat/driver-classes.js');
    expect(enginesOf({ default: 'sqlite://', a: { url: 'postgres+pg://x@h/db' }, b: 'MARIADB://h/db' })).toEqual([
      'sqlite',
      'postgresql',
      'mariadb',
    ]);
    const names = (engines?: string[]) => driverClassTokens(engines).map((t) => t.token.name);
    expect(names(['sqlite'])).toEqual(['SqlEntityManager', 'SqlMikroORM', 'SqliteMikroORM']);
    // mariadb:// falls back to @mikro-orm/mysql when @mikro-orm/mariadb is missing: both are looked at
    expect(names(['mariadb'])).toEqual(['SqlEntityManager', 'SqlMikroORM', 'MySqlMikroORM', 'MariaDbMikroORM']);
    expect(names()).toEqual([
      'SqlEntityManager',
      'SqlMikroORM',
      'PostgreSqlEntityManager',
      'PostgreSqlMikroORM',
      'MySqlMikroORM',
      'MariaDbMikroORM',
      'SqliteMikroORM',
    ]);
  });
});
