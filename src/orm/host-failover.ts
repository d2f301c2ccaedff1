import { connect as netConnect, type Socket } from 'node:net';
import type { DriverName } from '../config/database-url.js';
import type { HostList } from '../config/host-list.js';
import { isUnavailable } from '../errors/unavailable.js';
import { type HostListOwner, HostState, reasonOf } from './host-state.js';
import { onKyselyDialect } from './kysely-dialect.js';

/** The parts of pg's Client we use: its constructor, connect, a query and end. */
interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
type PgClientClass = new (config: Record<string, unknown>) => PgClient;
interface PgPool {
  Client: PgClientClass;
}
/** The parts of a Kysely driver and connection we use. */
interface KyselyConnection {
  executeQuery(query: { sql: string; parameters: readonly unknown[]; query: unknown }): Promise<{ rows: unknown[] }>;
}
interface KyselyDriver {
  acquireConnection(options?: unknown): Promise<KyselyConnection>;
  releaseConnection(connection: KyselyConnection): Promise<void>;
}
interface KyselyDialect {
  createDriver(): KyselyDriver;
}

/** A connection answered, but not in the role the host list's target asks for. */
class WrongRoleError extends Error {
  readonly code = 'MULTIDB_WRONG_ROLE';
}

/**
 * Gives one MikroORM connection (one pool: a primary or a replica) a host list. Every new physical
 * connection goes to the host HostState picks and is checked against the target where one is
 * asked (PostgreSQL `pg_is_in_recovery()` / `transaction_read_only`, MariaDB Galera `wsrep_ready`
 * and `wsrep_local_state`); a connection that fails to open or is in the wrong role marks its host
 * and the checkout tries the next host, each host once. pg gets a Client class of its own (its pool's
 * `Client`), mysql2 a `stream` factory; only checkouts that open a connection do more than before.
 * Must run before the ORM connects and before the acquire guard, which then bounds the whole
 * failover by `acquireTimeout`. Returns the state (for tests and health), or undefined without a list.
 */
export function installFailover(
  connection: object,
  driver: DriverName,
  list: HostList | undefined,
  owner: HostListOwner,
): HostState | undefined {
  if (!list || driver === 'sqlite') return undefined;
  const state = new HostState(list, owner);
  const target = connection as Record<string, unknown>;
  const create = target.createKyselyDialect;
  if (typeof create !== 'function') return undefined;
  target.createKyselyDialect = function (this: unknown, overrides?: Record<string, unknown>) {
    const given = overrides ?? {};
    if (driver !== 'postgresql') return create.call(this, { ...given, stream: mysqlStream(state) });
    const userHook = given.onPoolCreated as ((pool: unknown) => unknown) | undefined;
    const onPoolCreated = (pool: PgPool) => {
      pool.Client = pgFailoverClient(pool.Client, state);
      return userHook?.(pool);
    };
    return create.call(this, { ...given, onPoolCreated });
  };
  onKyselyDialect<KyselyDialect>(connection, (dialect) => retryNextHost(dialect, state, driver));
  return state;
}

/** A pg Client class whose instances connect to the host the state picks and check its role. */
function pgFailoverClient(Base: PgClientClass, state: HostState): PgClientClass {
  return class FailoverClient extends Base {
    readonly #index: number;

    constructor(config: Record<string, unknown>) {
      const index = state.pick();
      const address = state.hosts[index];
      // pg-pool keeps `password` non-enumerable: a spread would drop it
      super({ ...config, password: config.password, host: address?.host, port: address?.port });
      this.#index = index;
    }

    override connect(callback?: (error: Error | null, client?: unknown) => void): Promise<unknown> {
      const opened = this.#open();
      if (!callback) return opened;
      opened.then(
        () => callback(null, this),
        (error: Error) => callback(error),
      );
      return opened.catch(() => undefined);
    }

    async #open(): Promise<this> {
      try {
        await super.connect();
      } catch (error) {
        state.failed(this.#index, reasonOf(error));
        throw error;
      }
      const wrong = await pgRoleMismatch(this, state, this.#index).catch((error: unknown) => reasonOf(error));
      if (wrong !== undefined) {
        state.failed(this.#index, wrong, true);
        await this.end().catch(() => {});
        throw new WrongRoleError(wrong);
      }
      state.served(this.#index);
      return this;
    }
  };
}

/** Why a PostgreSQL server does not suit the target, or undefined when it does (`any` asks nothing). */
async function pgRoleMismatch(client: PgClient, state: HostState, index: number): Promise<string | undefined> {
  const target = state.target;
  if (target === 'any') return undefined;
  const { rows } = await client.query(
    "select pg_is_in_recovery() as standby, current_setting('transaction_read_only') = 'on' as read_only",
  );
  const standby = rows[0]?.standby === true;
  const readOnly = rows[0]?.read_only === true;
  const role = standby ? 'a standby (in recovery)' : readOnly ? 'a read-only primary' : 'a read-write primary';
  const ok =
    target === 'read-write'
      ? !readOnly
      : target === 'read-only'
        ? readOnly
        : target === 'primary'
          ? !standby
          : target === 'standby'
            ? standby
            : standby || state.othersUnusable(index); // prefer-standby
  return ok ? undefined : `answered as ${role}`;
}

/** mysql2's `stream` option: a socket to the host the state picks; a failed connect marks that host. */
function mysqlStream(state: HostState): (opts: { config?: { host?: string; port?: number } }) => Socket {
  return (opts: { config?: { host?: string; port?: number } }) => {
    const index = state.pick();
    const address = state.hosts[index];
    // mysql2 names the TLS server after its config's host: the host this connection goes to
    if (opts.config && address) Object.assign(opts.config, { host: address.host, port: address.port });
    const socket = netConnect(address?.port ?? 3306, address?.host ?? 'localhost');
    socket.setNoDelay(true);
    lastOpened.set(state, index);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      socket.setKeepAlive(true);
    });
    // net clears `connecting` before it reports a failed connect: keep our own flag
    socket.once('error', (error) => {
      if (!connected) state.failed(index, reasonOf(error));
    });
    return socket;
  };
}

const lastOpened = new WeakMap<HostState, number>();

/**
 * A checkout whose new connection failed on one host tries the next, each host once (no query of
 * the caller's has run yet, so nothing is retried that could write twice). MySQL/MariaDB
 * connections are checked once, on first checkout: a Galera node that is not synced is passed over.
 */
function retryNextHost(dialect: KyselyDialect, state: HostState, driver: DriverName): KyselyDialect {
  const createDriver = dialect.createDriver.bind(dialect);
  dialect.createDriver = () => {
    const kysely = createDriver();
    const acquire = kysely.acquireConnection.bind(kysely);
    const release = kysely.releaseConnection.bind(kysely);
    const checked = new WeakSet<object>();
    // prefer-standby takes a primary only once every other host failed: one more turn for it
    const attempts = state.hosts.length + (state.target === 'prefer-standby' ? 1 : 0);
    kysely.acquireConnection = async (options) => {
      for (let attempt = 1; ; attempt++) {
        let connection: KyselyConnection;
        try {
          connection = await acquire(options);
        } catch (error) {
          if (!retryable(error)) throw error;
          if (attempt >= attempts) throw state.noHostError(error);
          continue;
        }
        if (driver === 'postgresql' || checked.has(connection)) return connection;
        const wrong = await galeraMismatch(connection).catch((error: unknown) => reasonOf(error));
        if (wrong === undefined) {
          checked.add(connection);
          state.served(lastOpened.get(state) ?? state.pick());
          return connection;
        }
        state.failed(lastOpened.get(state) ?? state.pick(), wrong, true);
        await destroy(connection, release);
        if (attempt >= attempts) throw state.noHostError();
      }
    };
    return kysely;
  };
  return dialect;
}

function retryable(error: unknown): boolean {
  return error instanceof WrongRoleError || isUnavailable(error);
}

/** Why a MariaDB/MySQL server is not usable, or undefined: not in a Galera cluster, or synced. */
async function galeraMismatch(connection: KyselyConnection): Promise<string | undefined> {
  const sql = "show status where variable_name in ('wsrep_ready', 'wsrep_local_state')";
  const { rows } = await connection.executeQuery({ sql, parameters: [], query: { kind: 'RawNode' } });
  const status = new Map(
    (rows as { Variable_name?: string; Value?: string }[]).map((r) => [r.Variable_name?.toLowerCase(), r.Value]),
  );
  // MariaDB reports wsrep_ready (OFF) without a provider too: only a loaded provider has a local state
  if (!status.has('wsrep_local_state')) return undefined; // not a Galera node
  const ready = status.get('wsrep_ready');
  const local = status.get('wsrep_local_state');
  return ready === 'ON' && local === '4' ? undefined : `not synced (wsrep_ready ${ready}, wsrep_local_state ${local})`;
}

/** A connection that must not be used again: Kysely's MySQL connection kills its session (and leaves the pool). */
async function destroy(connection: KyselyConnection, release: (c: KyselyConnection) => Promise<void>): Promise<void> {
  const killable = connection as Partial<{ killSession(): Promise<void> }>;
  if (typeof killable.killSession === 'function') await killable.killSession().catch(() => {});
  else await release(connection).catch(() => {});
}
