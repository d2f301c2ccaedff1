import type { Options } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, MultiDbModule, UnknownOptionError } from 'nestjs-multidb';
import { mikroOrmOptionNames } from '../../src/config/known-options.js';
import { bootWith, rejection } from '../fixtures/boot.js';
import { Post, User } from '../fixtures/entities.js';
import { startupHarness, withAuth } from '../fixtures/startup.js';

const { start, startupError } = startupHarness();

function expectUnknown(error: Error, key: string | undefined, option: string, suggestion: string, where: string) {
  expect(error, error.message).toBeInstanceOf(UnknownOptionError);
  expect(error).toBeInstanceOf(InvalidOptionsError);
  expect(error.message).toContain(where);
  expect(error.message).toContain(`unknown option '${option}'`);
  expect(error.message).toContain(`did you mean '${suggestion}'`);
  expect((error as UnknownOptionError).key).toBe(key);
  expect((error as UnknownOptionError).option).toBe(option);
  expect((error as UnknownOptionError).suggestion).toBe(suggestion);
}

describe('options nestjs-multidb would ignore are refused', () => {
  it("EllarSQL's pool_recycle names the database key and pool.maxLifetime", async () => {
    const error = await startupError(withAuth({ url: 'sqlite://', pool_recycle: 3600 }));
    expectUnknown(error, 'auth', 'pool_recycle', 'pool.maxLifetime', "Database 'auth'");
  });

  it.each([
    ['debg', 'debug'],
    ['idle_timeout', 'pool.idleTimeout'],
    ['maxLifetime', 'pool.maxLifetime'],
    ['acquire_timeout', 'acquireTimeout'],
    ['aquireTimeout', 'acquireTimeout'],
    ['pool_size', 'pool.max'],
    ['dbname', 'dbName'],
    ['entitiesOff', 'entitiesOf'],
  ])('%s in a database suggests %s', async (option, suggestion) => {
    const error = await startupError(withAuth({ url: 'sqlite://', [option]: 1 }));
    expectUnknown(error, 'auth', option, suggestion, "Database 'auth'");
  });

  it.each([
    ['recycle', 'pool.maxLifetime'],
    ['maxx', 'pool.max'],
    ['idle_timeout', 'pool.idleTimeout'],
    ['maxLifetimeSeconds', 'pool.maxLifetime'],
    ['acquireTimeoutMillis', 'acquireTimeout'],
  ])('pool.%s suggests %s', async (option, suggestion) => {
    const error = await startupError(withAuth({ url: 'sqlite://', pool: { max: 2, [option]: 1 } }));
    expectUnknown(error, 'auth', `pool.${option}`, suggestion, "Database 'auth'");
  });

  it('in common, and in common.pool', async () => {
    let error = await startupError({ databases: 'sqlite://', common: { pool_recycle: 3600 } as never });
    expectUnknown(error, undefined, 'pool_recycle', 'pool.maxLifetime', "MultiDbModule's 'common'");
    error = await startupError({ databases: 'sqlite://', common: { pool: { lifetime: 5 } } as never });
    expectUnknown(error, undefined, 'pool.lifetime', 'pool.maxLifetime', "MultiDbModule's 'common'");
  });

  it.each(['url', 'replicas', 'entitiesOf', 'tenants'])(
    '%s in common says it belongs to one database',
    async (name) => {
      const error = await startupError({ databases: 'sqlite://', common: { [name]: 'x' } as never });
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect(error.message).toContain(`MultiDbModule's 'common': '${name}' belongs to one database`);
    },
  );

  it("in a tenant template's own options, naming the template", async () => {
    const error = await startupError(withAuth({ url: 'sqlite://', tenants: {}, pool_recycle: 1 }));
    expectUnknown(error, 'auth', 'pool_recycle', 'pool.maxLifetime', "Database 'auth'");
  });

  it('in a tenant override (attach and the tenants.database factory), naming the tenant database', async () => {
    const booted = await start({
      databases: {
        default: 'sqlite://',
        tpl: {
          url: 'sqlite://',
          tenants: { database: (t) => (t === 'bad' ? ({ pool_recycle: 60 } as never) : undefined) },
        },
      },
    });
    const attached = await rejection(booted.db.attach('acme', { url: 'sqlite://', poolRecycle: 60 } as never));
    expectUnknown(attached, 'tpl:acme', 'poolRecycle', 'pool.maxLifetime', "Database 'tpl:acme'");
    const viaFactory = await rejection(booted.db.attach('bad'));
    expectUnknown(viaFactory, 'tpl:bad', 'pool_recycle', 'pool.maxLifetime', "Database 'tpl:bad'");
    const pooled = await rejection(booted.db.attach('pooled', { pool: { recycle: 60 } } as never));
    expectUnknown(pooled, 'tpl:pooled', 'pool.recycle', 'pool.maxLifetime', "Database 'tpl:pooled'");
    const nested = await rejection(booted.db.attach('nested', { entitiesOf: 'default' } as never));
    expect(nested).toBeInstanceOf(InvalidOptionsError);
    expect(nested.message).toContain("Database 'tpl:nested': a tenant's options cannot set 'entitiesOf'");
  });

  it('through setupAsync', async () => {
    const error = await rejection(
      bootWith([
        MultiDbModule.setupAsync({
          useFactory: () => ({ databases: { default: { url: 'sqlite://', poolRecycle: 60 } as never } }),
        }),
      ]),
    );
    expectUnknown(error, 'default', 'poolRecycle', 'pool.maxLifetime', "Database 'default'");
  });

  it('entities and contextName as we would set them (none, the key itself) are accepted', async () => {
    const { db } = await start(withAuth({ url: 'sqlite://', entities: [], entitiesTs: [], contextName: 'auth' }));
    expect(db.orm('auth').config.get('contextName')).toBe('auth');
    const common = await start({ databases: 'sqlite://', common: { entities: [], entitiesTs: [] } as never });
    expect(common.db.keys).toEqual(['default']);
    // entities routing gives that key: registered like setup({ entities })
    const routed = await start(withAuth({ url: 'sqlite://', entities: [User] }));
    expect(routed.db.entitiesOf('auth')).toContain(User);
  });

  it('entities and contextName per database are refused saying where they go instead', async () => {
    // a key's own list may name the entities routing gives it (#17: MikroORM configs carry them); others are refused
    const entities = await startupError(withAuth({ url: 'sqlite://', entities: [User, Post] }));
    expect(entities).toBeInstanceOf(InvalidOptionsError);
    expect(entities.message).toContain(
      "Database 'auth': its 'entities' list entity 'Post', which routing gives 'default' (its static __database__), not 'auth'",
    );
    expect(entities.message).toContain('MultiDbModule.forFeature');
    const globs = await startupError(withAuth({ url: 'sqlite://', entities: ['dist/**/*.entity.js'] }));
    expect(globs.message).toContain('as a class or schema (paths and globs are not loaded)');
    const inCommon = await startupError({ databases: 'sqlite://', common: { entitiesTs: [User] } as never });
    expect(inCommon.message).toContain(
      "MultiDbModule's 'common': 'entitiesTs' cannot be set per database or in 'common'",
    );
    const context = await startupError(withAuth({ url: 'sqlite://', contextName: 'default' }));
    expect(context).toBeInstanceOf(InvalidOptionsError);
    expect(context.message).toContain("Database 'auth': 'contextName' is set by nestjs-multidb");
  });

  it("genuine MikroORM options and ours keep working, MikroORM's pool.idleTimeoutMillis included", async () => {
    const booted = await start({
      databases: {
        default: { url: 'sqlite://', lazy: false, acquireTimeout: 5000, debug: false, batchSize: 50 },
        auth: { url: 'sqlite://', pool: { min: 0, max: 1, idleTimeoutMillis: 1000 }, forceUtcTimezone: true },
        copy: { url: 'sqlite://', entitiesOf: 'default', allowGlobalContext: true, driverOptions: {} },
        tpl: { url: 'sqlite://', tenants: { maxOpen: 2 }, loadStrategy: 'select-in' },
      },
      common: { ignoreUndefinedInQuery: true, acquireTimeout: 4000, pool: { maxLifetime: 60_000 } },
      entities: [Post, User],
    });
    expect(booted.db.keys).toEqual(['default', 'auth', 'copy']);
    await booted.db.attach('acme', { url: 'sqlite://', pool: { max: 1 }, debug: false });
  });

  it("every key of MikroORM 7's Options is known (a new MikroORM option fails typecheck here)", () => {
    // Record<keyof Options, true>: the compiler refuses a key MikroORM dropped and wants one it added
    const every: Record<keyof Options, true> = {
      ...{ pool: true, driverOptions: true, entities: true, entitiesTs: true, extensions: true, subscribers: true },
      ...{ routines: true, filters: true, discovery: true, driver: true, namingStrategy: true },
      ...{ implicitTransactions: true, disableTransactions: true, sessionContext: true, verbose: true },
      ...{ ignoreUndefinedInQuery: true, onQuery: true, autoJoinOneToOneOwner: true, autoJoinRefsForFilters: true },
      ...{ filtersOnRelations: true, propagationOnPrototype: true, populateAfterFlush: true, serialization: true },
      ...{ assign: true, persistOnCreate: true, upsertManaged: true, forceEntityConstructor: true },
      ...{ forceUndefined: true, initNullableProperties: true, processOnCreateHooksEarly: true },
      ...{ forceUtcTimezone: true, timezone: true, ensureDatabase: true, ensureIndexes: true, useBatchInserts: true },
      ...{ useBatchUpdates: true, batchSize: true, hydrator: true, compiledFunctions: true, loadStrategy: true },
      ...{ dataloader: true, populateWhere: true, flushMode: true, entityRepository: true, entityManager: true },
      ...{ replicas: true, validateRequired: true, context: true, contextName: true, allowGlobalContext: true },
      ...{ preferEnvVars: true, disableIdentityMap: true, logger: true, colors: true, loggerFactory: true },
      ...{ slowQueryThreshold: true, slowQueryLoggerFactory: true, findOneOrFailHandler: true },
      ...{ findExactlyOneOrFailHandler: true, debug: true, ignoreDeprecations: true, highlighter: true },
      ...{ preferTs: true, baseDir: true, migrations: true, schemaGenerator: true, embeddables: true },
      ...{ entityGenerator: true, metadataCache: true, resultCache: true, metadataProvider: true, seeder: true },
      ...{ preferReadReplicas: true, dynamicImportProvider: true, dbName: true, schema: true, name: true },
      ...{ clientUrl: true, host: true, port: true, user: true, password: true, charset: true, collate: true },
      ...{ multipleStatements: true, onCreateConnection: true, onReserveConnection: true, attachDatabases: true },
    };
    const known = mikroOrmOptionNames();
    expect(Object.keys(every).filter((name) => !known.has(name))).toEqual([]);
  });
});
