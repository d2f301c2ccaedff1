import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { sqliteFileOf } from './database-url.js';
import type { ResolvedDatabase } from './resolve-databases.js';

/** Engines whose databases are told apart the same way (MariaDB is a MySQL server here). */
export type DatabaseEngine = 'sqlite' | 'postgresql' | 'mysql';

/** Which database a resolved configuration points at. */
export interface DatabaseIdentity {
  engine: DatabaseEngine;
  /** `host:port` (host lower-cased, default port filled in); `undefined` for SQLite. */
  server: string | undefined;
  /** SQLite: the file's absolute path (symbolic links of existing folders resolved); servers: the database name. */
  database: string;
  /**
   * PostgreSQL: the schema (`public` when none is given). MySQL/MariaDB: the `?schema=` MikroORM
   * qualifies every table with (then the tables live in that database), if any.
   */
  schema: string | undefined;
  /** Where the tables are, without the server: equal for two tenants means `{tenant}` selects nothing. */
  place: string;
  /** Equal for the same database. SQLite paths and MySQL/MariaDB names ignore case (see `foldsCase`). */
  id: string;
  /** For messages: `the SQLite file /data/a.db`, `PostgreSQL database app (schema public) on db:5432`. */
  text: string;
}

const DEFAULT_PORT: Readonly<Record<string, number>> = { postgresql: 5432, mysql: 3306 };
const LABEL: Readonly<Record<DatabaseEngine, string>> = {
  sqlite: 'SQLite',
  postgresql: 'PostgreSQL',
  mysql: 'MySQL/MariaDB',
};

/**
 * Whether names that differ only in case are one database: SQLite files on case-insensitive file
 * systems (macOS, Windows) and MySQL/MariaDB databases with `lower_case_table_names` 1 or 2.
 * PostgreSQL keeps the exact name (MikroORM quotes it).
 */
export function foldsCase(engine: DatabaseEngine): boolean {
  return engine !== 'postgresql';
}

/**
 * Which database a resolved configuration (a configured key or a tenant) points at: the one place
 * that decides whether two configurations share a database. In-memory SQLite is never shared
 * (`undefined`). Spelling differences of a server (`localhost` vs `127.0.0.1`, a DNS alias) are
 * not resolved: they count as different servers.
 */
export function databaseIdentity(config: Pick<ResolvedDatabase, 'driver' | 'options'>): DatabaseIdentity | undefined {
  const engine: DatabaseEngine = config.driver === 'mariadb' ? 'mysql' : config.driver;
  const dbName = String(config.options.dbName ?? '');
  if (engine === 'sqlite') {
    // a file: URI (given as dbName by hand) is left to SQLite, like in-memory databases
    const opened = sqliteFileOf(dbName);
    if (opened === undefined) return undefined;
    const file = canonicalPath(opened);
    return finish(engine, undefined, file, undefined, `the SQLite file ${file}`);
  }
  const host = String(config.options.host ?? 'localhost').toLowerCase();
  const server = `${host}:${Number(config.options.port ?? DEFAULT_PORT[engine])}`;
  const given =
    typeof config.options.schema === 'string' && config.options.schema !== '' ? config.options.schema : undefined;
  const schema = engine === 'postgresql' ? (given ?? 'public') : given;
  const where = schema === undefined ? '' : ` (schema ${schema})`;
  return finish(engine, server, dbName, schema, `${LABEL[engine]} database ${dbName}${where} on ${server}`);
}

function finish(
  engine: DatabaseEngine,
  server: string | undefined,
  database: string,
  schema: string | undefined,
  text: string,
): DatabaseIdentity {
  // MySQL qualifies every table with the schema: the tables live in that database, whatever dbName says
  const tables = engine === 'mysql' ? (schema ?? database) : `${database}\u0000${schema ?? ''}`;
  const place = `${engine}\u0000${foldsCase(engine) ? tables.toLowerCase() : tables}`;
  return { engine, server, database, schema, place, id: `${server ?? ''}\u0000${place}`, text };
}

/** The path with the symbolic links of its longest existing folder resolved (the file may not exist yet). */
function canonicalPath(path: string): string {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(realpathSync(current), ...rest);
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.unshift(basename(current));
      current = parent;
    }
  }
}
