import { Entity, ManyToOne, PrimaryKey } from '@mikro-orm/decorators/legacy';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DatabaseConnectionError,
  DriverNotInstalledError,
  EntityDatabaseError,
  InvalidOptionsError,
  MalformedUrlError,
  MultiDbError,
  MultiDbModule,
  type MultiDbSetupOptions,
  UnknownDatabaseError,
  UnregisteredEntityError,
  UnsupportedSchemeError,
} from 'nestjs-multidb';
import { loadDriver } from '../../src/config/driver-loader.js';
import { type Booted, boot, memoryDatabases, rejection } from '../fixtures/boot.js';
import { Post, SettingSchema, User } from '../fixtures/entities.js';
import { freePort } from '../fixtures/free-port.js';

const PASSWORD = 'hunter2-Secret';

class Orphan {
  static __database__ = 'reports';
}

@Entity()
class Author {
  static __database__ = 'auth';
  @PrimaryKey({ type: 'integer' }) id!: number;
}
@Entity()
class Book {
  @PrimaryKey({ type: 'integer' }) id!: number;
  @ManyToOne(() => Author) author!: Author;
}

/** What defining and compiling an application with these options throws (whichever comes first). */
async function startupError(options: MultiDbSetupOptions): Promise<Error> {
  return rejection((async () => Test.createTestingModule({ imports: [MultiDbModule.setup(options)] }).compile())());
}

function expectClear(error: Error, type: new (...args: never[]) => MultiDbError, ...parts: string[]): void {
  expect(error).toBeInstanceOf(type);
  expect(error).toBeInstanceOf(MultiDbError);
  expect(error.name).toBe(type.name);
  for (const part of parts) expect(error.message).toContain(part);
  expect(error.message).not.toContain(PASSWORD);
  expect(String(error.stack)).not.toContain(PASSWORD);
}

describe('start-up errors', () => {
  it.each([
    ['databases missing', {}, /'databases' option is missing/],
    ['databases null', { databases: null }, /'databases' option is missing/],
    ['databases empty', { databases: {} }, /'databases' is empty/],
    ['databases of the wrong type', { databases: 42 }, /must be a URL string or an object.*got a number/],
    ['databases as an array', { databases: ['sqlite://'] }, /got an array/],
    [
      'no default key',
      { databases: { auth: 'sqlite://', meta: 'sqlite://' } },
      /no 'default' database.*'auth', 'meta'/,
    ],
  ])('%s', async (_, options, pattern) => {
    const error = await startupError(options as MultiDbSetupOptions);
    expectClear(error, InvalidOptionsError);
    expect(error.message).toMatch(pattern);
  });

  it('a database value of the wrong type names its key', async () => {
    const error = await startupError({ databases: { default: 'sqlite://', auth: 7 as never } });
    expectClear(error, InvalidOptionsError, "Database 'auth'", 'got a number');
  });

  it('an options object without url names its key', async () => {
    const error = await startupError({ databases: { default: 'sqlite://', auth: { pool: { max: 2 } } as never } });
    expectClear(error, InvalidOptionsError, "Database 'auth'", "no 'url'");
  });

  it('an unsupported scheme names the key and the supported schemes, without the password', async () => {
    const error = await startupError({ databases: { default: 'sqlite://', auth: `mssql://sa:${PASSWORD}@db/users` } });
    expectClear(
      error,
      UnsupportedSchemeError,
      "Database 'auth'",
      "'mssql'",
      'postgresql://',
      'mssql://sa:***@db/users',
    );
  });

  it('a malformed URL names the key, without the password', async () => {
    const error = await startupError({ databases: { default: `postgresql://app:${PASSWORD}@db:5432` } });
    expectClear(error, MalformedUrlError, "Database 'default'", 'names no database', 'app:***@db');
  });

  it('an entity naming an unconfigured key names the entity, the key and the configured keys', async () => {
    const error = await startupError({ databases: memoryDatabases, entities: [Post, Orphan as never] });
    expectClear(error, EntityDatabaseError, "Entity 'Orphan'", "__database__ = 'reports'", "'default', 'auth', 'meta'");
    expect((error as EntityDatabaseError).entity).toBe('Orphan');
    expect((error as EntityDatabaseError).key).toBe('reports');
  });

  it('an empty __database__ is refused', async () => {
    class Blank {
      static __database__ = '';
    }
    const error = await startupError({ databases: memoryDatabases, entities: [Blank as never] });
    expectClear(error, EntityDatabaseError, "Entity 'Blank'", 'non-empty string');
  });

  it('a relation to an entity of another database is refused instead of copying its table', async () => {
    const error = await startupError({ databases: memoryDatabases, entities: [Book, Author] });
    expectClear(
      error,
      EntityDatabaseError,
      "Entity 'Book' (database 'default')",
      "'author'",
      "'Author'",
      "database 'auth'",
    );
  });

  it.each([
    ['postgresql', 'postgresql'],
    ['mysql', 'mysql'],
    ['mariadb', 'mysql'],
  ])('a %s server that refuses connections stops start-up naming the key and the masked URL', async (scheme) => {
    const port = await freePort();
    const url = `${scheme}://app:${PASSWORD}@127.0.0.1:${port}/users`;
    const error = await startupError({ databases: { default: 'sqlite://', auth: url } });
    expectClear(
      error,
      DatabaseConnectionError,
      "Database 'auth'",
      `${scheme}://app:***@127.0.0.1:${port}/users`,
      'ECONNREFUSED',
    );
    expect((error as MultiDbError).key).toBe('auth');
  });
});

describe('driver loading', () => {
  const missing = (name: string) => async (specifier: string) => {
    if (specifier === name) {
      throw Object.assign(new Error(`Cannot find package '${name}' imported from /app/index.js`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    }
    return import(specifier);
  };

  it('a missing driver package names the key and the package (and version) to install', async () => {
    const error = await rejection(loadDriver('auth', 'postgresql', missing('@mikro-orm/postgresql')));
    expectClear(
      error,
      DriverNotInstalledError,
      "Database 'auth'",
      '@mikro-orm/postgresql',
      'npm install @mikro-orm/postgresql@7.2.1',
    );
    expect((error as DriverNotInstalledError).packageName).toBe('@mikro-orm/postgresql');
  });

  it('mariadb:// uses @mikro-orm/mariadb when installed and falls back to @mikro-orm/mysql otherwise', async () => {
    class MariaDbDriver {}
    const withMariaDb = async (specifier: string) =>
      specifier === '@mikro-orm/mariadb' ? { MariaDbDriver } : import(specifier);
    expect(await loadDriver('auth', 'mariadb', withMariaDb)).toBe(MariaDbDriver);
    const fallback = await loadDriver('auth', 'mariadb', missing('@mikro-orm/mariadb'));
    expect(fallback.name).toBe('MySqlDriver');
  });

  it('errors other than a missing package are not disguised', async () => {
    const broken = async () => {
      throw new Error('syntax error in driver');
    };
    await expect(loadDriver('auth', 'sqlite', broken)).rejects.toThrow('syntax error in driver');
  });
});

describe('call-time errors', () => {
  let booted: Booted | undefined;
  afterEach(async () => booted?.app.close());

  it('an unknown key passed to any DbService method names it and the configured keys', async () => {
    booted = await boot({ databases: memoryDatabases, entities: [Post] });
    const { db } = booted;
    const calls: Array<() => unknown> = [() => db.orm('reports'), () => db.em('reports')];
    for (const call of calls) {
      expect(call).toThrow(UnknownDatabaseError);
      expect(call).toThrow("Unknown database key 'reports'. Configured keys: 'default', 'auth', 'meta'");
    }
    await expect(db.createAll('auth', 'reports')).rejects.toThrow(UnknownDatabaseError);
    await expect(db.dropAll('reports')).rejects.toThrow("Unknown database key 'reports'");
  });

  it('an entity no database registered is named, with how to register it', async () => {
    booted = await boot({ databases: memoryDatabases, entities: [Post] });
    const { db } = booted;
    for (const call of [() => db.databaseOf(User), () => db.emFor(User), () => db.getRepository(SettingSchema)]) {
      expect(call).toThrow(UnregisteredEntityError);
      expect(call).toThrow(/Entity '(User|Setting)' is not registered.*forFeature/);
    }
  });

  it('setupAsync databaseKeys that the factory does not configure stop start-up', async () => {
    const error = await rejection(
      Test.createTestingModule({
        imports: [
          MultiDbModule.setupAsync({
            databaseKeys: ['auth', 'reports'],
            useFactory: () => ({ databases: memoryDatabases }),
          }),
        ],
      }).compile(),
    );
    expectClear(error, InvalidOptionsError, "'reports'", "configured keys: 'default', 'auth', 'meta'");
  });
});
