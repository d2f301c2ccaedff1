import { EntitySchema, type EntityRepository } from '@mikro-orm/core';
import { defineConfig as defineCoreConfig } from '@mikro-orm/core';
import {
  defineConfig as defineSqliteConfig,
  EntityManager as SqliteEntityManager,
  MikroORM as SqliteMikroORM,
  SqliteDriver,
} from '@mikro-orm/sqlite';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRepositoryToken, MultiDbModule, toMikroOrmConfigs } from 'nestjs-multidb';
import { bootWith } from '../fixtures/boot.js';
import { Post, User } from '../fixtures/entities.js';
import { startupHarness } from '../fixtures/startup.js';

describe('A MikroORM config per key, started (SQLite)', () => {
  const { start } = startupHarness();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-define-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('opens the file relative to rootPath, registers the entities it lists and serves them', async () => {
    const { db } = await start({
      rootPath: dir,
      databases: {
        default: defineSqliteConfig({ dbName: 'data/main.db', entities: [Post] }),
        auth: defineCoreConfig({ driver: SqliteDriver, dbName: ':memory:', entities: [User] }),
      },
    });
    await db.createAll();
    expect(existsSync(join(dir, 'data/main.db'))).toBe(true);
    expect(db.info('default')).toEqual({ key: 'default', driver: 'sqlite', url: 'sqlite:///data/main.db' });
    const em = db.em('auth').fork();
    em.persist(em.create(User, { email: 'a@b.c' }));
    await em.flush();
    expect(await db.em('auth').fork().count(User)).toBe(1);
    expect(db.entitiesOf('default')).toContain(Post);
    expect(db.orm('auth').config.get('contextName')).toBe('auth');
  });

  it('a tenant template given as a MikroORM config opens one SQLite file per tenant under rootPath', async () => {
    class Note {
      static __database__ = 'tenants';
    }
    const NoteSchema = new EntitySchema({
      class: Note,
      tableName: 'notes',
      properties: { id: { type: 'integer', primary: true }, text: { type: 'string' } },
    });
    const { db } = await start({
      rootPath: dir,
      databases: {
        default: 'sqlite://',
        tenants: { ...defineSqliteConfig({ dbName: 'tenants/{tenant}.db', entities: [NoteSchema] }), tenants: {} },
      },
    });
    await db.attach('acme');
    await db.runForTenant('acme', async () => {
      await db.createAll('tenants');
      const em = db.em('tenants');
      em.persist(em.create(Note, { text: 'hi' } as never));
      await em.flush();
    });
    expect(existsSync(join(dir, 'tenants/acme.db'))).toBe(true);
    expect(await db.runForTenant('acme', () => db.em('tenants').count(Note))).toBe(1);
  });

  it('an entity listed in the config and in setup({ entities }) / forFeature too is one entity, injectable', async () => {
    const { app, db } = await bootWith([
      MultiDbModule.setup({
        databases: { default: defineSqliteConfig({ dbName: ':memory:', entities: [Post] }) },
        entities: [Post],
      }),
      MultiDbModule.forFeature([Post]),
    ]);
    try {
      expect(db.entitiesOf('default').filter((e) => e === Post)).toHaveLength(1);
      await db.createAll();
      const posts = app.get<EntityRepository<Post>>(getRepositoryToken(Post));
      expect(await db.runInContext(() => posts.count())).toBe(0);
    } finally {
      await app.close();
    }
  });

  it("the driver package's class tokens (EntityManager, MikroORM of @mikro-orm/sqlite) stand for a config-given default", async () => {
    const { app, db } = await bootWith([
      MultiDbModule.setup({ databases: { default: defineCoreConfig({ driver: SqliteDriver, dbName: ':memory:' }) } }),
    ]);
    try {
      expect(app.get(SqliteMikroORM)).toBe(db.orm());
      expect(app.get(SqliteEntityManager)).toBe(db.em());
    } finally {
      await app.close();
    }
  });

  it('setupAsync: a factory may return MikroORM configs per key; their entities are registered', async () => {
    const { app, db } = await bootWith([
      MultiDbModule.setupAsync({
        databaseKeys: ['auth'],
        useFactory: async () => ({
          databases: {
            default: defineSqliteConfig({ dbName: ':memory:', entities: [Post] }),
            auth: defineSqliteConfig({ dbName: ':memory:', entities: [User] }),
          },
        }),
      }),
    ]);
    try {
      expect(db.entitiesOf('default')).toEqual([Post]);
      expect(db.entitiesOf('auth')).toEqual([User]);
      expect(db.info('auth').url).toBe('sqlite://');
    } finally {
      await app.close();
    }
  });

  it("toMikroOrmConfigs (MikroORM's own CLI) gives a config-given key its URL's connection and its listed entities", async () => {
    const [config] = await toMikroOrmConfigs({
      rootPath: dir,
      databases: { default: defineSqliteConfig({ dbName: 'cli.db', entities: [Post] }) },
    });
    expect(config?.dbName).toBe(join(dir, 'cli.db'));
    expect(config?.contextName).toBe('default');
    expect(config?.entities).toEqual([Post]);
  });
});
