import { EntitySchema } from '@mikro-orm/core';
import { isAbsolute, relative, resolve } from 'node:path';
import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import { databaseKeyOf, entityName } from '../entities/database-key.js';
import type { EntityLike } from '../multi-db.options.js';
import { type DriverName, parseDatabaseUrl, SQLITE_MEMORY } from './database-url.js';
import { isPlainObject } from './values.js';

/** MikroORM's driver classes by name; a subclass is recognised by its nearest such ancestor. */
const DRIVER_CLASSES: Readonly<Record<string, DriverName>> = {
  PostgreSqlDriver: 'postgresql',
  MySqlDriver: 'mysql',
  MariaDbDriver: 'mariadb',
  SqliteDriver: 'sqlite',
};
/** MikroORM's own connection defaults when a config names no host, port or user (its platforms' default clientUrl). */
const SERVER_DEFAULTS: Readonly<Record<string, { user: string; port: number }>> = {
  postgresql: { user: 'postgres', port: 5432 },
  mysql: { user: 'root', port: 3306 },
  mariadb: { user: 'root', port: 3306 },
};
/** The connection options a database URL replaces. */
const CONNECTION = ['clientUrl', 'dbName', 'host', 'port', 'user', 'password'] as const;
const PLACEHOLDER = /%7Btenant%7D/gi;

/**
 * Turns a database given as a MikroORM config (`defineConfig({ driver, dbName | clientUrl, host, … })`,
 * without `url`) into our own options: a `url` built from its connection options (so masking, identity,
 * tenants and replicas behave exactly as with that URL), `driver` kept only when it is a subclass.
 * Entities listed per key are taken out (see `entitiesGivenPerKey`); anything else passes through.
 */
export function fromMikroOrmConfig(key: string, value: unknown, rootPath: string): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  const entityKey = typeof value.tenants === 'object' ? key : String(value.entitiesOf ?? key);
  for (const name of ['entities', 'entitiesTs'] as const) {
    if (routedHere(key, entityKey, out[name])) delete out[name];
  }
  const hasUrl = typeof value.url === 'string' && value.url.trim() !== '';
  const driverClass = value.driver;
  const fromClass = driverClass === undefined ? undefined : driverOf(key, driverClass);
  if (driverClass !== undefined && (fromClass === undefined || DRIVER_CLASSES[nameOf(driverClass)] !== undefined)) {
    delete out.driver; // the stock class: loaded from its package like a URL's, one copy for every key
  }
  if (value.clientUrl !== undefined && (typeof value.clientUrl !== 'string' || value.clientUrl.trim() === '')) {
    throw new InvalidOptionsError(messages.configClientUrlWrongType(key), { key });
  }
  const clientUrl = value.clientUrl as string | undefined;
  if (hasUrl) {
    const url = parseDatabaseUrl(key, value.url as string, rootPath);
    if (fromClass !== undefined && !sameEngine(fromClass, url.driver)) {
      throw new InvalidOptionsError(
        messages.configDisagrees(key, url.maskedUrl, 'driver', `${nameOf(driverClass)} is ${fromClass}`),
        { key },
      );
    }
    if (clientUrl !== undefined) {
      const other = parseDatabaseUrl(key, clientUrl, rootPath);
      if (other.driver !== url.driver || JSON.stringify(other.options) !== JSON.stringify(url.options)) {
        throw new InvalidOptionsError(
          messages.configDisagrees(key, url.maskedUrl, 'clientUrl', `it is ${other.maskedUrl}`),
          { key },
        );
      }
      delete out.clientUrl;
    }
    return withReplicaUrls(key, url.driver, out, value.url as string);
  }
  if (clientUrl === undefined && fromClass === undefined) {
    throw new InvalidOptionsError(messages.configNoEngine(key), { key });
  }
  const base = clientUrl === undefined ? undefined : parseDatabaseUrl(key, clientUrl, rootPath);
  if (base !== undefined && fromClass !== undefined && !sameEngine(fromClass, base.driver)) {
    throw new InvalidOptionsError(
      messages.configDisagrees(key, base.maskedUrl, 'driver', `${nameOf(driverClass)} is ${fromClass}`),
      { key },
    );
  }
  const engine = base?.driver ?? (fromClass as DriverName);
  for (const name of CONNECTION) delete out[name];
  // MikroORM also takes a password callback (rotating credentials): it stays an option of its own
  if (typeof value.password === 'function') out.password = value.password;
  out.url = engine === 'sqlite' ? sqliteUrl(key, value, base, rootPath) : serverUrl(key, engine, value, clientUrl);
  return withReplicaUrls(key, engine, out, out.url as string);
}

/** MikroORM's replica objects as URLs: each missing connection option is the primary's (`primaryUrl`'s). */
function withReplicaUrls(key: string, engine: DriverName, out: Record<string, unknown>, primaryUrl: string) {
  const replicas = out.replicas;
  if (engine === 'sqlite' || !Array.isArray(replicas) || !replicas.some(isPlainObject)) return out;
  out.replicas = replicas.map((replica: unknown) => {
    if (!isPlainObject(replica)) return replica;
    const { name: _, ...connection } = replica;
    const unknownOption = Object.keys(connection).find((o) => !(CONNECTION as readonly string[]).includes(o));
    if (unknownOption !== undefined || connection.clientUrl !== undefined) {
      throw new InvalidOptionsError(messages.configReplicaOption(key, unknownOption ?? 'clientUrl'), { key });
    }
    return serverUrl(key, engine, connection, primaryUrl);
  });
  return out;
}

/** The entities given per key (`entities: [A, B]` in a database's options or MikroORM config) that route there. */
export function entitiesGivenPerKey(databases: unknown): EntityLike[] {
  if (!isPlainObject(databases)) return [];
  return Object.values(databases).flatMap((value) => {
    if (!isPlainObject(value)) return [];
    return [value.entities, value.entitiesTs].flatMap((list) =>
      Array.isArray(list) && list.length > 0 && list.every(isEntity) ? (list as EntityLike[]) : [],
    );
  });
}

/**
 * Whether a key's own entity list only names entities routing gives that key (then they are
 * registered like `setup({ entities })`); an entity routed elsewhere is refused, naming both keys.
 * Anything else (paths, globs) is left for the options check, which says how to list entities.
 */
function routedHere(key: string, entityKey: string, list: unknown): boolean {
  if (!Array.isArray(list) || list.length === 0 || !list.every(isEntity)) return false;
  for (const entity of list as EntityLike[]) {
    const declared = databaseKeyOf(entity);
    if (declared !== entityKey) {
      throw new InvalidOptionsError(messages.configEntityElsewhere(key, entityName(entity), declared, entityKey), {
        key,
      });
    }
  }
  return true;
}

function isEntity(value: unknown): boolean {
  return typeof value === 'function' || EntitySchema.is(value);
}

/** The engine a MikroORM driver class runs, from its own name or its nearest stock ancestor's. */
function driverOf(key: string, driver: unknown): DriverName {
  if (typeof driver !== 'function') {
    throw new InvalidOptionsError(messages.configDriverUnsupported(key, `a ${typeof driver}`), { key });
  }
  for (let c: unknown = driver; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const engine = DRIVER_CLASSES[nameOf(c)];
    if (engine !== undefined) return engine;
  }
  throw new InvalidOptionsError(messages.configDriverUnsupported(key, `class ${nameOf(driver) || '<anonymous>'}`), {
    key,
  });
}

function nameOf(value: unknown): string {
  return typeof value === 'function' ? value.name : '';
}

/** A MySQL driver runs a MariaDB server (as `mariadb://` does without @mikro-orm/mariadb). */
function sameEngine(fromClass: DriverName, fromUrl: DriverName): boolean {
  return fromClass === fromUrl || (fromClass === 'mysql' && fromUrl === 'mariadb');
}

function serverUrl(key: string, engine: DriverName, value: Record<string, unknown>, clientUrl?: string): string {
  // explicit options win over clientUrl's parts, which win over MikroORM's defaults (as in MikroORM's Connection)
  const url = new URL(clientUrl ?? `${engine}://localhost`);
  const defaults = SERVER_DEFAULTS[engine] as { user: string; port: number };
  const text = (name: string, fallback: string): string => {
    const given = value[name];
    if (given === undefined) return fallback;
    if (typeof given !== 'string' || (given === '' && name !== 'password')) {
      throw new InvalidOptionsError(messages.configOptionWrongType(key, name, 'a non-empty string'), { key });
    }
    return given;
  };
  const host = text('host', clientUrl === undefined ? '127.0.0.1' : url.hostname);
  const user = text('user', clientUrl === undefined ? defaults.user : decodeURIComponent(url.username));
  const password = typeof value.password === 'function' ? '' : text('password', decodeURIComponent(url.password));
  const dbName = text('dbName', decodeURIComponent(url.pathname.replace(/^\//, '')));
  const port = value.port ?? (clientUrl === undefined ? defaults.port : url.port);
  if (port !== '' && !(Number.isInteger(Number(port)) && Number(port) > 0)) {
    throw new InvalidOptionsError(messages.configOptionWrongType(key, 'port', 'a port number'), { key });
  }
  if (dbName === '') throw new InvalidOptionsError(messages.configNoDbName(key, engine), { key });
  const auth = user === '' ? '' : `${enc(user)}${password === '' ? '' : `:${enc(password)}`}@`;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const scheme = clientUrl === undefined ? engine : clientUrl.slice(0, clientUrl.indexOf(':'));
  return `${scheme}://${auth}${hostPart}${port === '' ? '' : `:${port}`}/${enc(dbName)}${url.search}`;
}

function sqliteUrl(
  key: string,
  value: Record<string, unknown>,
  base: ReturnType<typeof parseDatabaseUrl> | undefined,
  rootPath: string,
): string {
  const given = value.dbName ?? base?.options.dbName;
  if (given === undefined || given === '')
    throw new InvalidOptionsError(messages.configNoDbName(key, 'sqlite'), { key });
  if (typeof given !== 'string') {
    throw new InvalidOptionsError(messages.configOptionWrongType(key, 'dbName', 'a file path or ":memory:"'), { key });
  }
  const query = base === undefined ? '' : (/\?.*$/.exec(String(value.clientUrl))?.[0] ?? '');
  if (given === SQLITE_MEMORY) return `sqlite://${query}`;
  // relative to rootPath like a URL's three slashes; absolute with four
  const path = isAbsolute(given) ? given : relative(rootPath, resolve(rootPath, given)).replaceAll('\\', '/');
  const encoded = path.split('/').map(enc).join('/');
  return `sqlite:///${encoded}${query}`;
}

/** Percent-encodes one URL part, keeping a tenant template's `{tenant}` placeholder as it is. */
function enc(part: string): string {
  return encodeURIComponent(part).replace(PLACEHOLDER, '{tenant}');
}
