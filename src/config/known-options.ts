import { Configuration, type Options } from '@mikro-orm/core';
import { UnknownOptionError } from '../errors/config-errors.js';
import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';

/**
 * MikroORM options without a default value. The others are read from MikroORM's own defaults
 * (`new Configuration({})`), so an upgrade brings its new defaulted options by itself; a compile-time
 * check in test/unit/options-validation.test.ts fails when MikroORM's `Options` gains a key neither covers.
 */
export const MIKRO_ORM_OPTIONS_WITHOUT_DEFAULT = [
  'driver',
  'namingStrategy',
  'implicitTransactions',
  'disableTransactions',
  'timezone',
  'useBatchInserts',
  'useBatchUpdates',
  'compiledFunctions',
  'entityRepository',
  'entityManager',
  'replicas',
  'preferEnvVars',
  'disableIdentityMap',
  'slowQueryThreshold',
  'slowQueryLoggerFactory',
  'preferTs',
  'dbName',
  'schema',
  'name',
  'clientUrl',
  'host',
  'port',
  'user',
  'password',
  'charset',
  'collate',
  'multipleStatements',
  'onCreateConnection',
  'onReserveConnection',
  'attachDatabases',
] as const satisfies readonly (keyof Options)[];

/** MikroORM options nestjs-multidb sets for every database itself: giving them is a mistake, said precisely. */
const SET_BY_US = new Set(['contextName', 'entities', 'entitiesTs']);
/** Our options of a database besides MikroORM's. A new per-database option must be added here. */
export const DATABASE_OPTIONS = [
  'url',
  'lazy',
  'acquireTimeout',
  'replicas',
  'entitiesOf',
  'tenants',
  'sharesDatabaseWith',
  'shutdownTimeout',
  'hosts',
  'targetSessionAttrs',
  'reuseStatements',
] as const;
/** Our options that `common` also takes. */
const COMMON_OPTIONS = ['lazy', 'acquireTimeout', 'shutdownTimeout', 'reuseStatements'] as const;
/** The keys of `pool` (see `PoolOptions`); `idleTimeoutMillis` is MikroORM's name of `idleTimeout`. */
export const POOL_OPTIONS = ['min', 'max', 'idleTimeout', 'maxLifetime', 'idleTimeoutMillis'] as const;

/** Where an options object sits: a database's own, `common`, or a tenant's (merged over its template's). */
export type OptionsScope = 'database' | 'common' | 'tenant';

/**
 * Other libraries' names for our options (SQLAlchemy / EllarSQL `create_engine`, TypeORM, knex,
 * mysql2), by their normalised spelling (lower case, without `_` and `-`).
 */
const ALIASES: Readonly<Record<string, string>> = {
  poolrecycle: 'pool.maxLifetime',
  recycle: 'pool.maxLifetime',
  maxlifetimeseconds: 'pool.maxLifetime',
  poolsize: 'pool.max',
  maxoverflow: 'pool.max',
  connectionlimit: 'pool.max',
  size: 'pool.max',
  pooltimeout: 'acquireTimeout',
  acquiretimeoutmillis: 'acquireTimeout',
  idletimeoutms: 'pool.idleTimeout',
  idletimeoutmillis: 'pool.idleTimeout',
  connectargs: 'driverOptions',
  echo: 'debug',
  database: 'dbName',
  username: 'user',
  uri: 'url',
};

let mikroOrmOptions: Set<string> | undefined;

/** Every key of MikroORM's `Options`: its defaults' keys plus those without a default. */
export function mikroOrmOptionNames(): ReadonlySet<string> {
  mikroOrmOptions ??= new Set([
    ...Object.keys(new Configuration({}, false).getAll()),
    ...MIKRO_ORM_OPTIONS_WITHOUT_DEFAULT,
  ]);
  return mikroOrmOptions;
}

/**
 * Refuses an option nestjs-multidb would silently ignore (a typo, another library's name such as
 * `pool_recycle`) with an `UnknownOptionError` naming the database key, the option and the closest
 * known one; also the MikroORM options we set ourselves. Looks inside `pool` too.
 */
export function assertKnownOptions(scope: OptionsScope, key: string | undefined, options: object): void {
  const where = scope === 'common' ? "MultiDbModule's 'common'" : `Database '${key}'`;
  const known = knownNames(scope);
  for (const name of Object.keys(options)) {
    if (SET_BY_US.has(name)) {
      if (isNoOp(name, (options as Record<string, unknown>)[name], key)) continue;
      const message =
        name === 'contextName' ? messages.contextNameIsKey(where) : messages.entitiesPerDatabase(where, name);
      throw new InvalidOptionsError(message, { key });
    }
    if ((DATABASE_OPTIONS as readonly string[]).includes(name) && !known.has(name)) {
      throw new InvalidOptionsError(messages.optionNotInScope(where, name, scope === 'common'), { key });
    }
    if (!known.has(name)) throw unknown(where, key, name, suggest(name, [...known], 'top'));
  }
  const pool = (options as { pool?: unknown }).pool;
  if (typeof pool !== 'object' || pool === null || Array.isArray(pool)) return; // its type is checked when resolved
  for (const name of Object.keys(pool)) {
    if (!(POOL_OPTIONS as readonly string[]).includes(name)) {
      throw unknown(where, key, `pool.${name}`, suggest(name, [...known], 'pool'));
    }
  }
}

const knownByScope = new Map<OptionsScope, ReadonlySet<string>>();

function knownNames(scope: OptionsScope): ReadonlySet<string> {
  let names = knownByScope.get(scope);
  if (!names) {
    names = namesOf(scope);
    knownByScope.set(scope, names);
  }
  return names;
}

function namesOf(scope: OptionsScope): Set<string> {
  const ours: readonly string[] =
    scope === 'common'
      ? COMMON_OPTIONS
      : scope === 'tenant'
        ? DATABASE_OPTIONS.filter((o) => o !== 'tenants' && o !== 'entitiesOf' && o !== 'sharesDatabaseWith')
        : DATABASE_OPTIONS;
  const names = new Set([...mikroOrmOptionNames(), ...ours]);
  for (const name of SET_BY_US) names.delete(name);
  // read replicas are one database's (as URLs): the same replicas for every database make no sense
  if (scope === 'common') names.delete('replicas');
  return names;
}

/** What we set ourselves may be given as we would set it: no entities, or the database's own key as `contextName`. */
function isNoOp(name: string, value: unknown, key: string | undefined): boolean {
  if (value === undefined) return true;
  if (name === 'contextName') return key !== undefined && value === key;
  return Array.isArray(value) && value.length === 0;
}

function unknown(where: string, key: string | undefined, option: string, suggestion: string): UnknownOptionError {
  return new UnknownOptionError(messages.unknownOption(where, option, suggestion), option, suggestion, key);
}

/**
 * The known option closest to `name`: another library's name first, then the smallest edit distance
 * between normalised spellings (`idle_timeout` is `idleTimeout`). Candidates on the other level
 * (`pool.x` for a database option, `x` for a pool option) cost a little more.
 */
export function suggest(name: string, topLevel: readonly string[], level: 'top' | 'pool'): string {
  const plain = normalise(name);
  const alias = ALIASES[plain];
  if (alias) return alias;
  const candidates = [
    ...topLevel.map((c) => ({ name: c, last: c, penalty: level === 'top' ? 0 : 0.5 })),
    ...POOL_OPTIONS.filter((c) => c !== 'idleTimeoutMillis').map((c) => ({
      name: `pool.${c}`,
      last: c,
      penalty: level === 'pool' ? 0 : 0.5,
    })),
  ];
  let best = candidates[0] as (typeof candidates)[number];
  let bestCost = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const cost = distance(plain, normalise(candidate.last)) + candidate.penalty;
    if (cost < bestCost) {
      best = candidate;
      bestCost = cost;
    }
  }
  return best.name;
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, '');
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
