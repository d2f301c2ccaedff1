import type { MikroORM } from '@mikro-orm/core';
import { DatabaseClosedError, PoolTimeoutError } from '../errors/multi-db.error.js';
import { isUnavailable } from '../errors/unavailable.js';
import { onKyselyDialect } from './kysely-dialect.js';
import { retireAgedConnections } from './pool-recycle.js';
import { countAcquireTimeout, watchPool } from './pool-stats.js';
import { trackUsage } from './pool-usage.js';

/** The parts of a Kysely dialect and driver we wrap (Kysely is MikroORM's, not our dependency). */
interface KyselyDriver {
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
 * limitAcquireWait for one MikroORM connection (one pool) that is not connected yet; its pool's
 * checkouts are tracked too (pool-usage.ts), for closing it within `shutdownTimeout`.
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
    giveBackFailedTransactions(driver);
    const watchdog = new Watchdog(timeoutMs, timeoutError(key, timeoutMs, single ? 1 : poolMax, owner));
    watchPool(owner, () => watchdog.pending); // once per pool, for db.stats()
    // a closed pool leaves no timer behind (it would keep the driver and its sockets alive)
    usage.onStop((error) => watchdog.stop(error));
    const acquire = driver.acquireConnection.bind(driver);
    const release = driver.releaseConnection.bind(driver);
    const lateRelease = (connection: object) => void release(connection).catch(() => {});
    if (!single) {
      driver.acquireConnection = (options) => watchdog.watch(acquire(options), lateRelease);
      return driver;
    }
    const gate = new Gate(watchdog);
    driver.acquireConnection = async (options) => {
      await gate.enter();
      try {
        return await watchdog.watch(acquire(options), (connection) => {
          lateRelease(connection);
          gate.leave();
        });
      } catch (error) {
        if (!watchdog.gaveUp(error)) gate.leave(); // else the turn is passed on when it comes (late)
        throw error;
      }
    };
    driver.releaseConnection = async (connection) => {
      try {
        await release(connection);
      } finally {
        gate.leave();
      }
    };
    return driver;
  };
  return dialect;
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

/**
 * Kysely (0.28, under MikroORM 7.2.1) keeps a connection checked out for good when BEGIN fails,
 * or when COMMIT or ROLLBACK fails because the connection died: it releases only after they
 * succeed. Each such failure shrinks the pool by one, and closing the ORM then waits forever for
 * the lost connection. Give those connections back: a dead one is dropped by its pool, and a live
 * one whose BEGIN failed is rolled back first. A connection released here is not released twice.
 */
function giveBackFailedTransactions(driver: KyselyDriver): void {
  const given = new WeakSet<object>();
  const acquire = driver.acquireConnection.bind(driver);
  const begin = driver.beginTransaction.bind(driver);
  const giveBack = async (connection: object) => {
    if (given.has(connection)) return;
    given.add(connection);
    await driver.releaseConnection(connection).catch(() => {});
  };
  driver.acquireConnection = async (options) => {
    const connection = await acquire(options);
    given.delete(connection);
    return connection;
  };
  driver.beginTransaction = async (connection, settings) => {
    try {
      await begin(connection, settings);
    } catch (error) {
      await driver.rollbackTransaction(connection).catch(() => {});
      await giveBack(connection);
      throw error;
    }
  };
  for (const name of ['commitTransaction', 'rollbackTransaction'] as const) {
    const end = driver[name].bind(driver);
    driver[name] = async (connection) => {
      try {
        await end(connection);
      } catch (error) {
        if (isUnavailable(error)) await giveBack(connection);
        throw error;
      }
    };
  }
}

interface Waiter {
  readonly since: number;
  readonly fail: (error: Error) => void;
}

/**
 * Fails waits older than the timeout. One timer serves all waits and is never cleared per wait:
 * a query that gets its connection at once pays for a Set entry, not for a timer.
 */
class Watchdog {
  readonly #waiting = new Set<Waiter>();
  #timer: NodeJS.Timeout | undefined;
  #stopped: Error | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly error: () => Error,
  ) {}

  /** `promise`'s value, unless the timeout passes first; a value that comes late goes to `late`. */
  watch<T>(promise: Promise<T>, late: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { since: Date.now(), fail: reject };
      this.#waiting.add(waiter);
      this.#arm();
      promise.then(
        (value) => (this.#waiting.delete(waiter) ? resolve(value) : late(value)),
        (error: unknown) => this.#waiting.delete(waiter) && reject(error),
      );
    });
  }

  /** Waits for a connection not settled yet. */
  get pending(): number {
    return this.#waiting.size;
  }

  /** The pool is closing: pending waits fail with `error`, and no timer is left behind. */
  stop(error: Error): void {
    this.#stopped = error;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiting) waiter.fail(error);
    this.#waiting.clear();
  }

  /** Whether a wait failed because of this watchdog (timed out, or stopped) rather than its own promise. */
  gaveUp(error: unknown): boolean {
    return error instanceof PoolTimeoutError || (error !== undefined && error === this.#stopped);
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#stopped !== undefined) return;
    const first = this.#waiting.values().next().value;
    if (first === undefined) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, first.since + this.timeoutMs - Date.now()));
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const waiter of this.#waiting) {
      if (now - waiter.since < this.timeoutMs) break; // in arrival order: the rest are younger
      this.#waiting.delete(waiter);
      waiter.fail(this.error());
    }
    this.#arm();
  }
}

/** One holder at a time, the others in arrival order, each waiting no longer than the watchdog allows. */
class Gate {
  #held = false;
  readonly #queue: (() => void)[] = [];

  constructor(private readonly watchdog: Watchdog) {}

  enter(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    const turn = new Promise<void>((resolve) => this.#queue.push(resolve));
    // a turn that comes after its wait timed out is passed straight on
    return this.watchdog.watch(turn, () => this.leave());
  }

  leave(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#held = false;
  }
}
