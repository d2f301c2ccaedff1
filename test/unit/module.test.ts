import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import type { EntityManager, EntityRepository, MikroORM } from '@mikro-orm/core';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DbService,
  getEntityManagerToken,
  getOrmToken,
  getRepositoryToken,
  InjectEntityManager,
  InjectOrm,
  InjectRepository,
  MultiDbModule,
  type MultiDbModuleOptions,
} from 'nestjs-multidb';
import { type Booted, boot, bootWith, memoryDatabases } from '../fixtures/boot.js';
import { AuditEntry, Post, SettingSchema, type Setting, User } from '../fixtures/entities.js';

@Injectable()
class UsesEverything {
  constructor(
    @InjectRepository(User) readonly users: EntityRepository<User>,
    @InjectRepository(SettingSchema) readonly settings: EntityRepository<Setting>,
    @InjectEntityManager('auth') readonly authEm: EntityManager,
    @InjectEntityManager() readonly defaultEm: EntityManager,
    @InjectOrm('meta') readonly metaOrm: MikroORM,
  ) {}
}

@Module({ imports: [MultiDbModule.forFeature([User, SettingSchema])], providers: [UsesEverything] })
class FeatureModule {}

const options: MultiDbModuleOptions = { databases: memoryDatabases, entities: [Post, AuditEntry] };

@Injectable()
class OptionsFactory {
  createMultiDbOptions(): MultiDbModuleOptions {
    return options;
  }
}
@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class OptionsModule {}

const variants = {
  setup: () => MultiDbModule.setup(options),
  'setupAsync useFactory + ConfigService': () =>
    MultiDbModule.setupAsync({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ AUTH_URL: 'sqlite://' })] })],
      inject: [ConfigService],
      databaseKeys: ['auth', 'meta'],
      useFactory: (config: ConfigService) => ({
        ...options,
        databases: { ...memoryDatabases, auth: config.getOrThrow<string>('AUTH_URL') },
      }),
    }),
  'setupAsync useClass': () => MultiDbModule.setupAsync({ useClass: OptionsFactory, databaseKeys: ['auth', 'meta'] }),
  'setupAsync useExisting': () =>
    MultiDbModule.setupAsync({ imports: [OptionsModule], useExisting: OptionsFactory, databaseKeys: ['auth', 'meta'] }),
};

describe('MultiDbModule', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  describe.each(Object.entries(variants))('%s', (_, root) => {
    it('starts every database and injects repositories, EntityManagers and ORMs of the right one', async () => {
      booted = await bootWith([root(), FeatureModule]);
      const { app, db } = booted;
      expect(db.keys).toEqual(['default', 'auth', 'meta']);
      const svc = app.get(UsesEverything);
      expect(svc.authEm).toBe(db.orm('auth').em);
      expect(svc.defaultEm).toBe(db.orm('default').em);
      expect(svc.metaOrm).toBe(db.orm('meta'));
      expect(svc.users.getEntityManager()).toBe(db.orm('auth').em);
      expect(svc.settings.getEntityManager()).toBe(db.orm('meta').em);
      expect(app.get(getOrmToken('auth'))).toBe(db.orm('auth'));
      expect(app.get(getEntityManagerToken('meta'))).toBe(db.orm('meta').em);

      await db.createAll();
      await db.runInContext(async () => {
        await svc.users.insert({ email: 'ada@example.com' });
        await svc.settings.insert({ name: 'theme', value: 'dark' });
      });
      await db.runInContext(async () => {
        expect(await db.getRepository(User).count()).toBe(1);
        expect(await db.getRepository(SettingSchema).count()).toBe(1);
        expect(await db.em('default').count(Post)).toBe(0);
      });
    });
  });

  it('provides root entities of setup() for @InjectRepository and accepts Test.overrideProvider on every token', async () => {
    const fake = { fake: true };
    const moduleRef = await Test.createTestingModule({ imports: [MultiDbModule.setup(options)] })
      .overrideProvider(getRepositoryToken(Post))
      .useValue(fake)
      .overrideProvider(getEntityManagerToken('auth'))
      .useValue(fake)
      .compile();
    expect(moduleRef.get(getRepositoryToken(Post))).toBe(fake);
    expect(moduleRef.get(getEntityManagerToken('auth'))).toBe(fake);
    expect(moduleRef.get(getRepositoryToken(AuditEntry)).getEntityManager()).toBe(
      moduleRef.get(DbService).orm('meta').em,
    );
    await moduleRef.close();
  });

  it('is global by default and can opt out with isGlobal: false', async () => {
    @Injectable()
    class NeedsDb {
      constructor(readonly db: DbService) {}
    }
    @Module({ providers: [NeedsDb] })
    class Elsewhere {}

    booted = await bootWith([MultiDbModule.setup({ databases: 'sqlite://' }), Elsewhere]);
    expect(booted.app.get(NeedsDb).db).toBe(booted.db);
    await booted.app.close();
    booted = undefined;

    const compiling = Test.createTestingModule({
      imports: [MultiDbModule.setup({ databases: 'sqlite://', isGlobal: false }), Elsewhere],
    }).compile();
    await expect(compiling).rejects.toThrow(/NeedsDb/);
  });

  it('accepts one URL string as the default database and any MikroORM option per database and in common', async () => {
    booted = await boot({
      databases: { default: 'sqlite://', auth: { url: 'sqlite://', schemaGenerator: { disableForeignKeys: false } } },
      common: { debug: false, schemaGenerator: { disableForeignKeys: true }, forceUtcTimezone: true },
    });
    const { db } = booted;
    expect(db.orm('default').config.get('schemaGenerator').disableForeignKeys).toBe(true);
    expect(db.orm('auth').config.get('schemaGenerator').disableForeignKeys).toBe(false);
    expect(db.orm('auth').config.get('forceUtcTimezone')).toBe(true);
    expect(db.orm('auth').config.get('contextName')).toBe('auth');
  });

  it('creates relative SQLite files, and their folder, under rootPath', async () => {
    const root = await mkdtemp(join(tmpdir(), 'multidb-root-'));
    try {
      booted = await boot({ databases: { default: 'sqlite:///nested/dir/main.db' }, rootPath: root, entities: [Post] });
      await booted.db.createAll();
      expect((await stat(join(root, 'nested/dir/main.db'))).isFile()).toBe(true);
    } finally {
      await booted?.app.close();
      booted = undefined;
      await rm(root, { recursive: true, force: true });
    }
  });

  it('closes every ORM on application shutdown, and close() can be called again', async () => {
    booted = await boot({ databases: memoryDatabases, entities: [Post] });
    const { app, db } = booted;
    const orms = db.keys.map((k) => db.orm(k));
    await app.close();
    booted = undefined;
    for (const orm of orms) expect(await orm.isConnected()).toBe(false);
    await expect(db.close()).resolves.toBeUndefined();
  });
});
