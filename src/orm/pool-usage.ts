import type { Refusal } from './seal.js';

/** The parts of a Kysely driver this file uses. */
export interface UsageDriver {
  releaseConnection(connection: object): Promise<void>;
  destroy(): Promise<void>;
}

/** Runs `consumer` on a connection of its own to the same server (Kysely's ControlConnectionProvider). */
export type ControlConnections = (consumer: (connection: never) => Promise<void>) => Promise<void>;

/** Kysely's optional DatabaseConnection members for ending a session on the server side. */
interface KillableConnection {
  collectSessionInfo?(): Promise<void>;
  killSession?(control: ControlConnections): Promise<void>;
}

/** The counters of a pool's waits for a connection. */
export interface WaitCounts {
  readonly waiting: number;
  readonly timeouts: number;
}

const usages = new WeakMap<object, PoolUsage>();
/** How long ending one busy session on the server may take before it is left to its destroyed socket. */
const KILL_WAIT_MS = 1_000;

/**
 * The connections one pool has checked out now (an open transaction, a query in flight), so that
 * closing it can wait for them up to a deadline and then destroy them: pg's pool would otherwise
 * wait forever for a connection held by a transaction nobody finishes, and mysql2's kills it at
 * once. Once its database is closing (`refuse`), taking a connection fails instead of handing one
 * out. Costs a Set entry per checkout. Checkouts are registered by the connection guard
 * (pool-guard.ts), which wraps the driver once for all of this. Counters: `busy` (in use), `waiting`,
 * `timeouts` (cheap getters, for pool statistics).
 */
export class PoolUsage {
  readonly #busy = new Set<object>();
  readonly #destroyed = new WeakSet<object>();
  readonly #waitingForIdle: (() => void)[] = [];
  readonly #stops: ((error: Error) => void)[] = [];
  readonly #release: (connection: object) => Promise<void>;
  /** Set once its database is closing: what every checkout throws from then on. */
  #refusal: Refusal | undefined;
  #waits: WaitCounts | undefined;

  constructor(
    driver: UsageDriver,
    private readonly closed: Refusal,
  ) {
    this.#release = driver.releaseConnection.bind(driver);
    const destroy = driver.destroy.bind(driver);
    driver.destroy = async () => {
      this.#stop();
      await destroy();
    };
  }

  /** What a checkout fails with now (its database is closing); undefined while it may take connections. */
  refusal(): Error | undefined {
    return this.#refusal?.();
  }

  /** A checkout got `connection` (the connection guard calls this, pool-guard.ts). */
  checkedOut(connection: object): void {
    this.#busy.add(connection);
  }

  /** Gives a checked-out connection back to its pool: a Set operation, no promise chain of its own. */
  release(connection: object): Promise<void> {
    // one destroyed at the deadline was given back then, not again when its holder lets go
    if (this.#destroyed.has(connection)) return Promise.resolve();
    this.#busy.delete(connection);
    const released = this.#release(connection);
    if (this.#busy.size > 0 || this.#waitingForIdle.length === 0) return released;
    return released.finally(() => this.#wakeIfIdle());
  }

  /** Where `waiting` and `timeouts` are counted (the pool's acquire watchdog). */
  countWaits(waits: WaitCounts): void {
    this.#waits = waits;
  }

  /** Checkouts waiting for a connection now (including those about to get one at once). */
  get waiting(): number {
    return this.#waits?.waiting ?? 0;
  }

  /** Checkouts that gave up after the acquire timeout (PoolTimeoutError) since the pool was created. */
  get timeouts(): number {
    return this.#waits?.timeouts ?? 0;
  }

  /** From now on every checkout fails with `refusal()` (its database is closing). */
  refuse(refusal: Refusal): void {
    this.#refusal = refusal;
  }

  /** Connections checked out now. */
  get busy(): number {
    return this.#busy.size;
  }

  /** Runs `stop` when the pool is destroyed or its busy connections are: waits still pending must end then. */
  onStop(stop: (error: Error) => void): void {
    this.#stops.push(stop);
  }

  /** Resolves once no connection is checked out. */
  idle(): Promise<void> {
    if (this.#busy.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waitingForIdle.push(resolve));
  }

  /**
   * Destroys the connections still checked out (the shutdown deadline passed). Waits still pending
   * fail first, so none is handed a connection in the middle of another's transaction. A session
   * running a statement is ended on the server (through `control`, Kysely's killSession); a MySQL or
   * MariaDB socket is destroyed at once; a PostgreSQL connection goes back to its pool, which ends
   * it as it closes. Either way the server rolls its transaction back.
   */
  async destroyBusy(control: ControlConnections): Promise<void> {
    this.#stop();
    const busy = [...this.#busy];
    this.#busy.clear();
    for (const connection of busy) this.#destroyed.add(connection);
    await Promise.all(
      busy.map(async (connection) => {
        const killable = connection as KillableConnection;
        const kill = async () => {
          await killable.collectSessionInfo?.();
          await killable.killSession?.(control);
        };
        await settle(kill(), KILL_WAIT_MS);
        await this.#release(connection).catch(() => undefined);
      }),
    );
    this.#wakeIfIdle();
  }

  #stop(): void {
    const error = (this.#refusal ?? this.closed)();
    for (const stop of this.#stops.splice(0)) stop(error);
  }

  #wakeIfIdle(): void {
    if (this.#busy.size === 0) for (const wake of this.#waitingForIdle.splice(0)) wake();
  }
}

/** Tracks `driver`'s checkouts as the pool of MikroORM `connection` (replacing its previous pool's, after a reconnect). */
export function trackUsage(connection: object, driver: UsageDriver, closed: Refusal): PoolUsage {
  const usage = new PoolUsage(driver, closed);
  usages.set(connection, usage);
  return usage;
}

/** The usage of a MikroORM connection's current pool; undefined before it ever connected. */
export function poolUsageOf(connection: object): PoolUsage | undefined {
  return usages.get(connection);
}

/** Waits for `promise` (ignoring its failure), `ms` at most. */
async function settle(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.catch(() => undefined), expired]);
  } finally {
    clearTimeout(timer);
  }
}
