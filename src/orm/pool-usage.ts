import type { Refusal } from './seal.js';

/** The parts of a Kysely driver this file wraps. */
export interface UsageDriver {
  acquireConnection(options?: unknown): Promise<object>;
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

const usages = new WeakMap<object, PoolUsage>();
/** How long ending one busy session on the server may take before it is left to its destroyed socket. */
const KILL_WAIT_MS = 1_000;

/**
 * The connections one pool has checked out now (an open transaction, a query in flight), so that
 * closing it can wait for them up to a deadline and then destroy them: pg's pool would otherwise
 * wait forever for a connection held by a transaction nobody finishes, and mysql2's kills it at
 * once. Once its database is closing (`refuse`), taking a connection fails instead of handing one
 * out. Costs a Set entry per checkout.
 */
export class PoolUsage {
  readonly #busy = new Set<object>();
  readonly #destroyed = new WeakSet<object>();
  readonly #waitingForIdle: (() => void)[] = [];
  readonly #stops: ((error: Error) => void)[] = [];
  readonly #release: (connection: object) => Promise<void>;
  /** Set once its database is closing: what every checkout throws from then on. */
  #refusal: Refusal | undefined;

  constructor(
    driver: UsageDriver,
    private readonly closed: Refusal,
  ) {
    const acquire = driver.acquireConnection.bind(driver);
    const release = driver.releaseConnection.bind(driver);
    const destroy = driver.destroy.bind(driver);
    this.#release = release;
    const add = (connection: object) => void this.#busy.add(connection);
    // no async wrappers: a checkout and a release cost a Set operation, not another promise chain
    driver.acquireConnection = (options) => {
      if (this.#refusal) return Promise.reject(this.#refusal());
      const connection = acquire(options);
      connection.then(add, () => undefined); // runs before the caller resumes: registered first
      return connection;
    };
    driver.releaseConnection = (connection) => {
      // one destroyed at the deadline was given back then, not again when its holder lets go
      if (this.#destroyed.has(connection)) return Promise.resolve();
      this.#busy.delete(connection);
      const released = release(connection);
      if (this.#busy.size > 0 || this.#waitingForIdle.length === 0) return released;
      return released.finally(() => this.#wakeIfIdle());
    };
    driver.destroy = async () => {
      this.#stop();
      await destroy();
    };
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
