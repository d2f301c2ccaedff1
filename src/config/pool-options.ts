import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { DriverName } from './database-url.js';
import { checkDuration, shown } from './durations.js';
import { describe, isPlainObject } from './values.js';

/** setTimeout's largest delay. */

/** What the pool options add to the driver's own options (`driverOptions`). */
export interface PoolDriverOptions {
  /** pg's own maximum connection age. */
  maxLifetimeSeconds?: number;
  /** mysql2: how many idle connections its pool keeps before `idleTimeout` (its sweeper runs only below `connectionLimit`). */
  maxIdle?: number;
}

/** pg's and mysql2's default `max`. */
export const DRIVER_DEFAULT_MAX = 10;

/**
 * MikroORM calls `pool.idleTimeout` `idleTimeoutMillis`: one spelling per source (common, a
 * database, a tenant) before they merge, so that a database's own value wins whichever it uses.
 */
export function withPoolAliasResolved<T extends object>(where: string, options: T, key?: string): T {
  const pool = (options as { pool?: unknown }).pool;
  if (!isPlainObject(pool) || pool.idleTimeoutMillis === undefined) return options;
  const { idleTimeoutMillis, ...rest } = pool;
  if (rest.idleTimeout !== undefined && rest.idleTimeout !== idleTimeoutMillis) {
    throw new InvalidOptionsError(messages.poolAliasConflict(where, rest.idleTimeout, idleTimeoutMillis), { key });
  }
  return { ...options, pool: { ...rest, idleTimeout: idleTimeoutMillis } };
}

/**
 * Checks a database's merged `pool` and maps the one pool shape onto its driver, in place:
 * `min`, `max` and `idleTimeout` (as `idleTimeoutMillis`) go to MikroORM, which hands them to pg
 * and mysql2; `maxLifetime` becomes pg's `maxLifetimeSeconds`, and stays in `pool` for mysql2, which
 * has no such option (orm/pool-recycle.ts retires those connections when they are released).
 * mysql2 closes idle connections only above `maxIdle`, which MikroORM sets to `min`: every idle
 * connection above it would close within a second whatever `idleTimeout` says, so `maxIdle` is
 * `max - 1` here (the most that still lets mysql2's sweeper run) and `idleTimeout` means what it says
 * (with `max: 1` mysql2 still closes the idle connection within a second).
 * SQLite has one connection and no pool: its `idleTimeout` and `maxLifetime` are dropped.
 * Returns the options the driver itself must get.
 */
export function takePool(key: string, driver: DriverName, merged: Record<string, unknown>): PoolDriverOptions {
  const pool = merged.pool;
  if (pool === undefined) return {};
  if (!isPlainObject(pool)) {
    throw wrongType(key, 'pool', 'an object such as { max: 10, maxLifetime: 1800000 }', describe(pool));
  }
  const { min, max, idleTimeout, maxLifetime } = pool;
  const integer = (name: string, value: unknown, least: number, wanted: string) => {
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < least)) {
      throw wrongType(key, `pool.${name}`, wanted, shown(value));
    }
  };
  integer('max', max, 1, 'a positive integer (the most connections its pool opens)');
  integer('min', min, 0, 'an integer from 0 (the connections its pool keeps open when idle)');
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    throw new InvalidOptionsError(messages.poolMinAboveMax(key, min, max), { key });
  }
  for (const [name, value] of [
    ['idleTimeout', idleTimeout],
    ['maxLifetime', maxLifetime],
  ] as const) {
    if (value !== undefined) checkDuration(key, `pool.${name}`, value);
  }
  const mapped: Record<string, unknown> = {};
  if (min !== undefined) mapped.min = min;
  if (max !== undefined) mapped.max = max;
  merged.pool = mapped;
  if (driver === 'sqlite') return {};
  if (idleTimeout !== undefined) mapped.idleTimeoutMillis = idleTimeout;
  if (driver === 'postgresql') {
    return maxLifetime === undefined ? {} : { maxLifetimeSeconds: (maxLifetime as number) / 1000 };
  }
  if (maxLifetime !== undefined) mapped.maxLifetime = maxLifetime;
  return idleTimeout === undefined ? {} : { maxIdle: ((max as number | undefined) ?? DRIVER_DEFAULT_MAX) - 1 };
}

/**
 * Adds the pool's driver options to a connection's `driverOptions` (the primary's, or a replica's
 * own); a Kysely instance, dialect or factory given as `driverOptions` brings its own pool and is
 * left alone. What the user set in `driverOptions` wins.
 */
export function withDriverOptions(driverOptions: unknown, extra: PoolDriverOptions): unknown {
  if (Object.keys(extra).length === 0) return driverOptions;
  if (driverOptions === undefined) return { ...extra };
  return isPlainObject(driverOptions) ? { ...extra, ...driverOptions } : driverOptions;
}

function wrongType(key: string, name: string, wanted: string, got: string): InvalidOptionsError {
  return new InvalidOptionsError(messages.optionWrongType(`${key}.${name}`, wanted, got), { key });
}
