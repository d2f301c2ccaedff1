import type { MikroORM } from '@mikro-orm/core';
import { DatabaseClosedError, PoolTimeoutError } from '../errors/multi-db.error.js';
import { markConnectError } from '../errors/unavailable.js';
import { type CheckoutHook, checkoutHookOf } from './checkout-hooks.js';
import { giveBackFailedTransactions } from './failed-transactions.js';
import { onKyselyDialect } from './kysely-dialect.js';
import { retireAgedConnections } from './pool-recycle.js';
import { countAcquireTimeout, watchPool } from './pool-stats.js';
import { type PoolUsage, trackUsage } from './pool-usage.js';
import { Gate, Watchdog } from './watchdog.js';

/** The parts of a Kysely dialect and driver we wrap (Kysely is MikroORM's, not our dependency). */
export interface KyselyDriver {
  acquireConnection(options?: unknown): Promise<object>;
  releaseConnection(connection: object): Promise<void>;
  beginTransaction(connection: object, settings: unknown): Promise<void>;
  commitTransaction(connection: object): Promise<void>;
  rollbackTransaction(connection: object): Promise<void>;
  destroy(): Promise<void>;
}
interface KyselyDialect {
  createDriver(): KyselyDriver;
  createAdapter(): { readonly supportsMultipleConnections?: boolean };
}

/** A database's connections: the primary and its read replicas. */
export function connectionsOf(orm: MikroORM): Record<string, unknown>[] {
  const driver = orm.driver as unknown as { connection?: object; replicas?: object[] };
  return [driver.connection, ...(driver.replicas ?? [])].filter((c): c is Record<string, unknown> => !!c);
}

/**
 * Makes every wait for a pooled connection give up after `timeoutMs` with a PoolTimeoutError
 * naming the key. pg waits forever by default (connectionTimeoutMillis 0), mysql2 always does,
 * and a single-connection SQLite database queues behind an open transaction; MikroORM 7 exposes
 * no acquire timeout. Must run before the ORM connects: it wraps the Kysely dialect it creates.
 */
export function limitAcquireWait(orm: MikroORM, key: string, timeoutMs: number): void {
  const poolMax = orm.config.get('pool')?.max;
  for (const connection of connectionsOf(orm)) guardConnection(connection, key, timeoutMs, poolMax);
}

/**
 * limitAcquireWait for one MikroORM connection (one pool) that is not connected yet. Its pool's
 * checkouts are tracked too (pool-usage.ts, for closing it within `shutdownTimeout`), errors raised
 * while a connection is being opened are marked as such (a refused login is an outage, the same
 * code answering a statement is not), and connections a failed transaction kept are given back.
 */
export function guardConnection(connection: object, key: string, timeoutMs: number, poolMax?: number): void {
  onKyselyDialect<KyselyDialect>(connection, (dialect) =>
    guardDialect(retireAgedConnections(dialect, connection), connection, key, timeoutMs, poolMax),
  );
}

function guardDialect(
  dialect: KyselyDialect,
  owner: object,
  key: string,
  timeoutMs: number,
  poolMax?: number,
): KyselyDialect {
  const createDriver = dialect.createDriver.bind(dialect);
  const createAdapter = dialect.createAdapter.bind(dialect);
  // Kysely queues single-connection dialects (SQLite) on a mutex of its own that no timeout
  // reaches: take the queue over, so that waiting for that connection is bounded too
  const single = createAdapter().supportsMultipleConnections === false;
  dialect.createAdapter = () => {
    const adapter = createAdapter();
    return single ? Object.create(adapter, { supportsMultipleConnections: { value: true } }) : adapter;
  };
  dialect.createDriver = () => {
    const driver = createDriver();
    const usage = trackUsage(owner, driver, closedError(key));
    const watchdog = new Watchdog(timeoutMs, timeoutError(key, timeoutMs, single ? 1 : poolMax, owner));
    usage.countWaits(watchdog);
    watchPool(owner, () => watchdog.waiting); // once per pool, for db.stats()
    // a closed pool leaves no timer behind (it would keep the driver and its sockets alive)
    usage.onStop((error) => watchdog.stop(error));
    (single ? guardSingleCheckout : guardCheckouts)(driver, usage, watchdog);
    const hook = checkoutHookOf(owner);
    if (hook) runHook(driver, hook);
    return driver;
  };
  return dialect;
}

/**
 * The one wrapper every checkout and release of a pool passes: the pool's refusal once its
 * database closes, the acquire timeout, the connect-error mark and the checkout tracking. A
 * checkout costs one promise, a Set entry for the watchdog and one for the busy connection.
 */
function guardCheckouts(driver: KyselyDriver, usage: PoolUsage, watchdog: Watchdog): void {
  const acquire = driver.acquireConnection.bind(driver);
  const release = driver.releaseConnection.bind(driver);
  // a connection that comes after its wait gave up goes straight back
  const late = (connection: object) => void release(connection).catch(() => undefined);
  const given = giveBackFailedTransactions(driver);
  driver.acquireConnection = (options) => {
    const refused = usage.refusal();
    if (refused) return Promise.reject(refused);
    return new Promise<object>((resolve, reject) => {
      const waiter = watchdog.begin(reject);
      acquire(options).then(
        (connection) => {
          if (!watchdog.end(waiter)) return late(connection);
          usage.checkedOut(connection);
          given.delete(connection);
          resolve(connection);
        },
        (error: unknown) => watchdog.end(waiter) && reject(markConnectError(error)),
      );
    });
  };
  driver.releaseConnection = (connection) => usage.release(connection);
}

/**
 * guardCheckouts for a single-connection dialect (SQLite): the wait is for the gate, in front of
 * the connection, so the watchdog watches only waits for a gate someone else holds. Taking a free
 * gate is synchronous, and once the connection is known (Kysely's SqliteDriver hands out its one
 * connection, at once) a checkout costs no promise of ours at all.
 */
function guardSingleCheckout(driver: KyselyDriver, usage: PoolUsage, watchdog: Watchdog): void {
  const acquire = driver.acquireConnection.bind(driver);
  const gate = new Gate(watchdog);
  const given = giveBackFailedTransactions(driver);
  let known: object | undefined;
  const take = (options: unknown): Promise<object> => {
    if (known !== undefined) {
      usage.checkedOut(known);
      given.delete(known);
      return acquire(options);
    }
    return acquire(options).then(
      (connection) => {
        known = connection;
        usage.checkedOut(connection);
        return connection;
      },
      (error: unknown) => {
        gate.leave();
        throw markConnectError(error);
      },
    );
  };
  driver.acquireConnection = (options) => {
    const refused = usage.refusal();
    if (refused) return Promise.reject(refused);
    if (gate.tryEnter()) return take(options);
    // a turn that comes after its wait gave up is passed on (Gate.wait)
    return gate.wait().then(() => take(options));
  };
  driver.releaseConnection = (connection) => {
    // the single connection's release is a no-op: the next holder may go on at once
    const released = usage.release(connection);
    gate.leave();
    return released;
  };
}

/**
 * A feature's work on each checkout (checkout-hooks.ts), in the same wrapper: `before` runs before
 * a connection is taken (a refusal takes none), `after` on the connection, which goes back to the
 * pool when `after` fails.
 */
function runHook(driver: KyselyDriver, hook: CheckoutHook): void {
  const guarded = driver.acquireConnection;
  driver.acquireConnection = (options) => {
    let needed: string;
    try {
      needed = hook.before();
    } catch (error) {
      return Promise.reject(error);
    }
    return guarded(options).then((connection) => {
      const ready = hook.after(connection, needed);
      if (ready === connection) return connection;
      return Promise.resolve(ready).catch(async (error: unknown) => {
        await driver.releaseConnection(connection).catch(() => undefined);
        throw error;
      });
    });
  };
}

/** Built outside the driver's scope: a closure made there would keep the whole driver alive with it. */
function timeoutError(key: string, timeoutMs: number, poolMax: number | undefined, owner: object): () => Error {
  return () => {
    countAcquireTimeout(owner); // on the timeout path only
    return new PoolTimeoutError(key, timeoutMs, poolMax);
  };
}

function closedError(key: string): () => Error {
  return () => new DatabaseClosedError(key);
}
