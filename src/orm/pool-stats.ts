import type { DriverName } from '../config/database-url.js';
import { DRIVER_DEFAULT_MAX } from '../config/pool-options.js';
import { poolUsageOf } from './pool-usage.js';

/** One connection pool of a database, as `db.stats()` reports it. Read when asked: nothing is counted per query. */
export interface PoolStats {
  /** The most connections the pool opens (`pool.max`; 1 for SQLite). */
  max: number;
  /** The connections the pool keeps open when idle (`pool.min`; 0 when not set). */
  min: number;
  /** Connections the pool holds now, in use or idle (for SQLite: 1 once its file is open). */
  total: number;
  /** Connections checked out now: a query in flight, an open transaction, a held session. */
  inUse: number;
  /** Open connections waiting in the pool for a query. */
  idle: number;
  /** Queries (or transactions) waiting for a connection now, for one to be free or a new one to open: above 0 while the pool is exhausted. */
  waiting: number;
  /** Waits for a connection that gave up after `acquireTimeout` (a PoolTimeoutError) since start-up. */
  acquireTimeouts: number;
}

/** What one MikroORM connection (one pool, re-created on reconnect) lets us read, and its counter. */
interface PoolProbe {
  acquireTimeouts: number;
  /** The acquire watchdog's pending waits (pool-guard.ts), once the pool exists. */
  waiting: () => number;
  /** The driver's own pool (pg Pool, mysql2 Pool, better-sqlite3 Database), once known. */
  native: unknown;
}

const probes = new WeakMap<object, PoolProbe>();

/** The probe of a MikroORM connection, created on first use; it outlives the connection's pools. */
function probeOf(connection: object): PoolProbe {
  let probe = probes.get(connection);
  if (!probe) {
    probe = { acquireTimeouts: 0, waiting: () => 0, native: undefined };
    probes.set(connection, probe);
  }
  return probe;
}

/** Counts one wait for a connection of `connection`'s pool that timed out (on the timeout path only). */
export function countAcquireTimeout(connection: object): void {
  probeOf(connection).acquireTimeouts++;
}

/**
 * Called once per pool `connection` creates (never per checkout): `waiting` reads the waits for a
 * connection, and the driver's pool is looked up for its sizes. MikroORM keeps that pool in a private
 * field reachable only through `getNativeClient()`, which would connect first: the pool exists
 * already (its dialect was just made), so the "connected" flag is set for that one synchronous call.
 */
export function watchPool(connection: object, waiting: () => number): void {
  const probe = probeOf(connection);
  probe.waiting = waiting;
  probe.native = undefined;
  const target = connection as { connected?: boolean; getNativeClient?: () => Promise<unknown> };
  if (typeof target.getNativeClient !== 'function') return;
  const was = target.connected;
  target.connected = true;
  try {
    target.getNativeClient().then(
      (native) => {
        if (probe.waiting === waiting) probe.native = native;
      },
      () => undefined, // a Kysely instance or dialect given in driverOptions: its pool is the user's
    );
  } catch {
    // same as above, thrown synchronously by an older driver
  } finally {
    target.connected = was;
  }
}

interface PgPool {
  totalCount: number;
  idleCount: number;
}
interface Mysql2Pool {
  _allConnections: { length: number };
  _freeConnections: { length: number };
}

/** Waits for a connection of `connection` that timed out so far (its pools' lives added up). */
export function acquireTimeoutsOf(connection: object): number {
  return probes.get(connection)?.acquireTimeouts ?? 0;
}

/** The pool of one MikroORM connection now; `max`/`min` are its configured bounds. */
export function readPool(connection: object, max: number, min: number): PoolStats {
  const probe = probes.get(connection);
  const inUse = poolUsageOf(connection)?.busy ?? 0;
  const waiting = probe?.waiting() ?? 0;
  const acquireTimeouts = probe?.acquireTimeouts ?? 0;
  const native = probe?.native as Partial<PgPool & Mysql2Pool & { open: boolean }> | undefined;
  let total = inUse;
  let idle = 0;
  if (typeof native?.totalCount === 'number') {
    total = native.totalCount;
    idle = native.idleCount ?? 0;
  } else if (native?._allConnections && native._freeConnections) {
    total = native._allConnections.length;
    idle = native._freeConnections.length;
  } else if (typeof native?.open === 'boolean') {
    total = native.open ? 1 : 0;
    idle = total - Math.min(inUse, total);
  }
  return { max, min, total: Math.max(total, inUse), inUse, idle, waiting, acquireTimeouts };
}

/** Adds pools up (a template's open tenant databases); `max`/`min` stay those of one pool. */
export function sumPools(pools: readonly PoolStats[], max: number, min: number, retiredTimeouts = 0): PoolStats {
  const sum: PoolStats = { max, min, total: 0, inUse: 0, idle: 0, waiting: 0, acquireTimeouts: retiredTimeouts };
  for (const pool of pools) {
    sum.total += pool.total;
    sum.inUse += pool.inUse;
    sum.idle += pool.idle;
    sum.waiting += pool.waiting;
    sum.acquireTimeouts += pool.acquireTimeouts;
  }
  return sum;
}

/** A database's driver, its pool bounds as the driver applies them, and how many read replicas it has. */
export interface PoolShape {
  driver: DriverName;
  max: number;
  min: number;
  replicas: number;
}

/** pg and mysql2 default to 10 connections; SQLite has one. */
export function poolShapeOf(config: {
  driver: DriverName;
  options: { pool?: unknown; replicas?: unknown };
}): PoolShape {
  const pool = (config.options.pool ?? {}) as { max?: number; min?: number };
  const replicas = Array.isArray(config.options.replicas) ? config.options.replicas.length : 0;
  if (config.driver === 'sqlite') return { driver: config.driver, max: 1, min: 0, replicas };
  return { driver: config.driver, max: pool.max ?? DRIVER_DEFAULT_MAX, min: pool.min ?? 0, replicas };
}
