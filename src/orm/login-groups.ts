import type { MikroORM } from '@mikro-orm/core';
import type { ResolvedDatabase } from '../config/resolve-databases.js';

/**
 * Start-up checks shared by PostgreSQL keys that reach one server with one login.
 *
 * Each PostgreSQL connection forks a server process and, with SCRAM, costs the client a PBKDF2
 * of the password: ten keys on one server paid that ten times at start-up only to run `select 1`.
 * Keys whose connection settings are equal but for the database name are checked together: the
 * first key of the group connects as before (its own checks, `ensureDatabase` included), then one
 * query on that connection confirms that each other key's database exists, accepts connections
 * and grants this login CONNECT. Those keys connect lazily, on their first query. A key the query
 * does not confirm (missing database, no privilege, or the first key failed) is checked on its
 * own connection, so its error, or its `ensureDatabase`, is exactly what it was.
 *
 * Not grouped: SQLite, MySQL/MariaDB (a database's access rights cannot be read without
 * connecting to it), `lazy` keys, keys with a host list (each connection picks its server), and keys whose login or driver options are not plain data
 * (functions, class instances): those are checked on their own.
 */
export class LoginGroups {
  readonly #leads = new Map<string, ResolvedDatabase>();
  readonly #members = new Map<string, ResolvedDatabase[]>();
  readonly #confirmed = new Map<string, Promise<ReadonlySet<string>>>();
  readonly #settle = new Map<string, (names: ReadonlySet<string>) => void>();

  constructor(configs: readonly ResolvedDatabase[]) {
    const groups = new Map<string, ResolvedDatabase[]>();
    for (const config of configs) {
      const login = loginOf(config);
      if (login === undefined) continue;
      const group = groups.get(login) ?? [];
      group.push(config);
      groups.set(login, group);
    }
    for (const [login, [lead, ...members]] of groups) {
      if (lead === undefined || members.length === 0) continue;
      this.#leads.set(login, lead);
      this.#members.set(login, members);
      this.#confirmed.set(login, new Promise((resolve) => this.#settle.set(login, resolve)));
    }
  }

  /** Whether the key may skip its own connection: its group's first key confirmed its database. */
  async confirmed(config: ResolvedDatabase): Promise<boolean> {
    const login = loginOf(config);
    if (login === undefined || this.#leads.get(login) === config) return false;
    const names = await this.#confirmed.get(login);
    return names?.has(String(config.options.dbName)) ?? false;
  }

  /**
   * Called by each key after its own connection check (`orm` connected) or its failure (`orm`
   * undefined): a group's first key confirms the other keys' databases over its connection.
   */
  async checked(config: ResolvedDatabase, orm: MikroORM | undefined): Promise<void> {
    const login = loginOf(config);
    if (login === undefined || this.#leads.get(login) !== config) return;
    const settle = this.#settle.get(login);
    if (settle === undefined) return;
    if (orm === undefined) return settle(new Set());
    const names = (this.#members.get(login) ?? []).map((member) => String(member.options.dbName));
    try {
      settle(await connectableDatabases(orm, names));
    } catch {
      settle(new Set()); // every member then checks itself, and reports its own error
    }
  }
}

/** The databases among `names` this login may connect to, read over `orm`'s connection. */
async function connectableDatabases(orm: MikroORM, names: readonly string[]): Promise<ReadonlySet<string>> {
  const marks = names.map(() => '?').join(', ');
  const sql =
    `select datname from pg_database where datname in (${marks}) and datallowconn ` +
    `and has_database_privilege(datname, 'CONNECT')`;
  const rows: { datname: string }[] = await orm.em.getConnection().execute(sql, [...names]);
  return new Set(rows.map((row) => row.datname));
}

/** What a PostgreSQL key's connection depends on, but for its database name; `undefined`: check it alone. */
function loginOf(config: ResolvedDatabase): string | undefined {
  const { options } = config;
  if (config.driver !== 'postgresql' || config.lazy || options.driver !== undefined) return undefined;
  if (config.hostLists.some((list) => list !== undefined)) return undefined; // failover picks the server per connection
  const clientUrl = options.clientUrl === undefined ? null : withoutDatabase(String(options.clientUrl));
  if (clientUrl === undefined) return undefined;
  const login = {
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    clientUrl,
    driverOptions: options.driverOptions,
  };
  return isPlainData(login) && options.dbName !== undefined ? JSON.stringify(login) : undefined;
}

function withoutDatabase(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    parsed.pathname = '/';
    return parsed.toString();
  } catch {
    return undefined;
  }
}

/** Strings, numbers, booleans, null, undefined, arrays and plain objects of those: safe to compare as JSON. */
function isPlainData(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined) return true;
  if (['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (typeof value !== 'object' || depth > 8) return false;
  if (Array.isArray(value)) return value.every((item) => isPlainData(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => isPlainData(item, depth + 1));
}
