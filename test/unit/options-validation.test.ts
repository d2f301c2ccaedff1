import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntitySchema, MikroORM, type Options } from '@mikro-orm/core';
import { MySqlDriver } from '@mikro-orm/mysql';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidOptionsError,
  MultiDbModule,
  type MultiDbModuleOptions,
  type MultiDbSetupOptions,
  UnknownOptionError,
} from 'nestjs-multidb';
import { runCli } from '../../src/cli/run.js';
import { mikroOrmOptionNames } from '../../src/config/known-options.js';
import { resolveDatabases } from '../../src/config/resolve-databases.js';
import { type Booted, boot, bootWith, memoryDatabases, rejection } from '../fixtures/boot.js';
import { Post, User } from '../fixtures/entities.js';

let booted: Booted | undefined;
afterEach(async () => {
  await booted?.app.close();
  booted = undefined;
});

/** What setting up and starting an application with these options throws. */
async function startupError(options: MultiDbSetupOptions): Promise<Error> {
  return rejection(
    (async () => {
      booted = await boot(options);
    })(),
  );
}

const withAuth = (auth: unknown, extra: Partial<MultiDbModuleOptions> = {}): MultiDbSetupOptions =>
  ({ databases: { default: 'sqlite://', auth }, ...extra }) as MultiDbSetupOptions;

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
    booted = await boot({
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

  it('entities and contextName per database are refused saying where they go instead', async () => {
    const entities = await startupError(withAuth({ url: 'sqlite://', entities: [User] }));
    expect(entities).toBeInstanceOf(InvalidOptionsError);
    expect(entities.message).toContain("Database 'auth': 'entities' cannot be set per database");
    expect(entities.message).toContain('MultiDbModule.forFeature');
    const context = await startupError(withAuth({ url: 'sqlite://', contextName: 'x' }));
    expect(context).toBeInstanceOf(InvalidOptionsError);
    expect(context.message).toContain("Database 'auth': 'contextName' is set by nestjs-multidb");
  });

  it("genuine MikroORM options and ours keep working, MikroORM's pool.idleTimeoutMillis included", async () => {
    booted = await boot({
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

describe('one pool shape, mapped onto each driver', () => {
  const pool = { min: 1, max: 5, idleTimeout: 30_000, maxLifetime: 1_800_000 };
  const resolved = (url: string, options: object = {}) =>
    resolveDatabases({ databases: { default: { url, pool, ...options } } })[0]?.options as Record<string, unknown>;

  it('PostgreSQL: pg gets min, max, idleTimeoutMillis and maxLifetimeSeconds', async () => {
    const options = resolved('postgresql://app:pw@127.0.0.1:1/main');
    expect(options.pool).toEqual({ min: 1, max: 5, idleTimeoutMillis: 30_000 });
    expect(options.driverOptions).toEqual({ maxLifetimeSeconds: 1800 });
    // what MikroORM 7.2.1 hands to pg's Pool (no connection is opened)
    const orm = new MikroORM({ ...options, driver: PostgreSqlDriver, entities: [] } as never);
    const connection = orm.driver.getConnection() as unknown as { mapOptions(o: object): Record<string, unknown> };
    expect(connection.mapOptions(options.driverOptions as object)).toMatchObject({
      min: 1,
      max: 5,
      idleTimeoutMillis: 30_000,
      maxLifetimeSeconds: 1800,
    });
  });

  it('MySQL/MariaDB: mysql2 gets connectionLimit, idleTimeout and maxIdle; maxLifetime stays for the release hook', () => {
    for (const url of ['mysql://app:pw@127.0.0.1:1/main', 'mariadb://app:pw@127.0.0.1:1/main']) {
      const options = resolved(url);
      expect(options.pool).toEqual({ min: 1, max: 5, idleTimeoutMillis: 30_000, maxLifetime: 1_800_000 });
      // mysql2 sweeps idle connections only above maxIdle, which must stay below connectionLimit
      expect(options.driverOptions).toEqual({ maxIdle: 4 });
      const orm = new MikroORM({ ...options, driver: MySqlDriver, entities: [] } as never);
      const connection = orm.driver.getConnection() as unknown as { mapOptions(o: object): Record<string, unknown> };
      expect(connection.mapOptions(options.driverOptions as object)).toMatchObject({
        connectionLimit: 5,
        idleTimeout: 30_000,
        maxIdle: 4,
      });
    }
  });

  it('SQLite has no pool: idleTimeout and maxLifetime are dropped', () => {
    expect(resolved('sqlite://').pool).toEqual({ min: 1, max: 5 });
  });

  it("common's pool and a database's merge; MikroORM's idleTimeoutMillis is idleTimeout; driverOptions win", () => {
    const [db] = resolveDatabases({
      databases: { default: { url: 'postgresql://a@h/d', pool: { max: 3, idleTimeoutMillis: 500 } } },
      common: { pool: { maxLifetime: 2000, idleTimeout: 100 } },
    });
    expect(db?.options.pool).toEqual({ max: 3, idleTimeoutMillis: 500 });
    expect(db?.options.driverOptions).toEqual({ maxLifetimeSeconds: 2 });
    const [own] = resolveDatabases({
      databases: { default: { url: 'postgresql://a@h/d', pool, driverOptions: { maxLifetimeSeconds: 7 } } },
    });
    expect(own?.options.driverOptions).toEqual({ maxLifetimeSeconds: 7 });
  });

  it("a PostgreSQL replica with driver options of its own gets the pool's lifetime too", () => {
    const [db] = resolveDatabases({
      databases: {
        default: { url: 'postgresql://a@h/d', pool, replicas: ['postgresql://r@r1/d?application_name=r1'] },
      },
    });
    expect(db?.options.replicas).toEqual([
      expect.objectContaining({ driverOptions: { maxLifetimeSeconds: 1800, application_name: 'r1' } }),
    ]);
  });

  it.each([
    ['max 0', { max: 0 }, "'auth.pool.max' must be a positive integer", 'got 0'],
    ['max -1', { max: -1 }, "'auth.pool.max' must be a positive integer", 'got -1'],
    ['max 2.5', { max: 2.5 }, "'auth.pool.max' must be a positive integer", 'got 2.5'],
    ['max as a string', { max: '10' }, "'auth.pool.max' must be a positive integer", 'got a string'],
    ['min -1', { min: -1 }, "'auth.pool.min' must be an integer from 0", 'got -1'],
    ['min 0.5', { min: 0.5 }, "'auth.pool.min' must be an integer from 0", 'got 0.5'],
    ['min above max', { min: 5, max: 2 }, "Database 'auth': 'pool.min' (5) is larger than 'pool.max' (2)", 'Lower'],
    ['idleTimeout 0', { idleTimeout: 0 }, "'auth.pool.idleTimeout' must be a number of milliseconds", 'got 0'],
    ['idleTimeout NaN', { idleTimeout: Number.NaN }, "'auth.pool.idleTimeout' must be a number", 'got NaN'],
    ['maxLifetime -5', { maxLifetime: -5 }, "'auth.pool.maxLifetime' must be a number of milliseconds", 'got -5'],
    ['maxLifetime Infinity', { maxLifetime: Infinity }, "'auth.pool.maxLifetime' must be", 'got Infinity'],
    ['both idle spellings', { idleTimeout: 1, idleTimeoutMillis: 2 }, "Database 'auth': 'pool.idleTimeout' (1)", '(2)'],
  ])('%s is refused, naming the key', async (_, poolOptions, ...parts) => {
    const error = await startupError(withAuth({ url: 'mysql://a@127.0.0.1:1/d', pool: poolOptions }));
    expect(error, error.message).toBeInstanceOf(InvalidOptionsError);
    for (const part of parts) expect(error.message).toContain(part);
  });

  it('a pool that is not an object is refused', async () => {
    const error = await startupError(withAuth({ url: 'sqlite://', pool: 5 }));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("'auth.pool' must be an object");
  });
});

describe('setup() refuses', () => {
  it.each([
    ['null', [Post, null], 'entities[1] is null, not an entity'],
    ['undefined', [undefined], 'entities[0] is undefined, not an entity'],
    ['a glob', ['dist/**/*.entity.js'], "entities[0] is the string 'dist/**/*.entity.js'"],
    ['a path', [Post, './src/user.entity'], "entities[1] is the string './src/user.entity'"],
    ['a number', [1], 'entities[0] is a number'],
    ['a plain object', [{ name: 'X' }], 'entities[0] is an object that is neither a class nor an EntitySchema'],
  ])('entities holding %s, saying to pass classes or schemas', (_, entities, part) => {
    const call = () => MultiDbModule.setup({ databases: memoryDatabases, entities: entities as never });
    expect(call).toThrow(InvalidOptionsError);
    expect(call).toThrow(part);
    expect(call).toThrow('Pass entity classes or EntitySchema / defineEntity objects');
  });

  it('entities given as globs through setupAsync stop start-up', async () => {
    const error = await rejection(
      bootWith([
        MultiDbModule.setupAsync({
          useFactory: () => ({ databases: 'sqlite://', entities: ['dist/**/*.entity.js'] as never }),
        }),
      ]),
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("MultiDbModule: entities[0] is the string 'dist/**/*.entity.js'");
  });

  it('forFeature with strings or holes', () => {
    for (const entities of [['dist/**/*.entity.js'], [User, undefined]]) {
      const call = () => MultiDbModule.forFeature(entities as never);
      expect(call).toThrow(InvalidOptionsError);
      expect(call).toThrow('MultiDbModule.forFeature: entities[');
    }
  });

  it("__database__ = null on an EntitySchema's class, or on a class", async () => {
    class Ledger {
      static __database__ = null;
    }
    const schema = new EntitySchema({
      class: Ledger,
      tableName: 'ledger',
      properties: { id: { type: 'integer', primary: true } },
    });
    const error = await startupError({ databases: memoryDatabases, entities: [schema] });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("Entity 'Ledger': __database__ must be a non-empty string");
    expect(error.message).toContain('got null');
    class Plain {
      static __database__ = null;
    }
    const plain = await startupError({ databases: memoryDatabases, entities: [Plain as never] });
    expect(plain).toBeInstanceOf(InvalidOptionsError);
    expect(plain.message).toContain("Entity 'Plain'");
  });

  it('database keys that differ only in case', async () => {
    const error = await startupError({ databases: { default: 'sqlite://', auth: 'sqlite://', Auth: 'sqlite://' } });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("database keys 'auth' and 'Auth' differ only in case");
    expect((error as InvalidOptionsError).key).toBe('Auth');
  });

  it.each([true, false])(
    'a transactions.coordinator key that is not configured (recoverOnStart %s)',
    async (recover) => {
      const error = await startupError({
        databases: memoryDatabases,
        transactions: { coordinator: 'ledger', recoverOnStart: recover },
      });
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect(error.message).toContain("'transactions.coordinator' names 'ledger', which is not a configured database");
      expect(error.message).toContain("'default', 'auth', 'meta'");
    },
  );

  it('a tenant template as transactions.coordinator', async () => {
    const error = await startupError({
      databases: { default: 'sqlite://', tpl: { url: 'sqlite://', tenants: {} } },
      transactions: { coordinator: 'tpl', recoverOnStart: false },
    });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("names 'tpl', a tenant template");
  });
});

describe('the CLI config path', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** Runs `schema:create` with a config exporting `{ rootPath: <temp dir>, …options }`. */
  async function cli(options: string): Promise<{ code: number; stdout: string; stderr: string }> {
    dir = await mkdtemp(join(tmpdir(), 'multidb-options-'));
    const config = `export default { rootPath: ${JSON.stringify(dir)}, ${options} };\n`;
    await writeFile(join(dir, 'multidb.config.mjs'), config);
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      cwd: dir,
    };
    const code = await runCli(['schema:create'], io);
    return { code, stdout, stderr };
  }

  it('entities as MikroORM-style globs fail with the fix instead of creating nothing', async () => {
    const result = await cli("databases: { default: 'sqlite:///data/main.db' }, entities: ['dist/**/*.entity.js']");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("MultiDbModule: entities[0] is the string 'dist/**/*.entity.js'");
    expect(result.stderr).toContain('import the classes and list them');
  });

  it('an unknown option fails naming the key and the closest known one', async () => {
    const result = await cli("databases: { default: { url: 'sqlite:///data/main.db', pool_recycle: 3600 } }");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "Database 'default': unknown option 'pool_recycle' (did you mean 'pool.maxLifetime'?)",
    );
  });
});
