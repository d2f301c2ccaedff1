import type { MikroORM } from '@mikro-orm/core';
import { onCheckout } from '../orm/checkout-hooks.js';

/** The parts of a Kysely dialect, driver and connection we wrap (Kysely is MikroORM's, not our dependency). */
interface RawQuery {
  sql: string;
  parameters: readonly unknown[];
}
interface SessionConnection {
  executeQuery(query: RawQuery): Promise<unknown>;
}
/** The connection's session schema is not known (a statement changed it): set it on its next checkout. */
const UNKNOWN = Symbol('unknown session schema');
/** SQL that changes the session's schema behind our back (a migration's `set search_path`, a raw `use`). */
const CHANGES_SESSION =
  /^\s*(?:set\s+(?:session\s+|local\s+)?search_path|reset\s+(?:search_path|all)|use\s|discard\s)/i;

/** How a session is pointed at a tenant's schema, and back at the database's own. */
export interface SessionSql {
  enter(schema: string): string;
  leave(): string;
}

/** PostgreSQL: the tenant's schema, then `public` (shared tables); MySQL/MariaDB: `USE` the tenant's database. */
export function sessionSql(driver: string, dbName: string): SessionSql {
  if (driver === 'postgresql') {
    return { enter: (s) => `set search_path to "${s}", public`, leave: () => 'reset search_path' };
  }
  return { enter: (s) => `use \`${s}\``, leave: () => `use \`${dbName.replaceAll('`', '``')}\`` };
}

/**
 * Points every connection the ORM checks out at the current tenant's schema (`schemaNow()`; the
 * database's own outside a tenant), so raw SQL (`em.execute`, `getKysely()`) with unqualified names
 * stays in the tenant's schema. The statement runs only when the connection's session points
 * elsewhere: connections remember their schema, and forget it when a statement changes it.
 * Tenant schemas are checked identifiers (letters, digits, `_`), so they are quoted, never escaped.
 */
export function followTenantSchema(orm: MikroORM, schemaNow: () => string | undefined, sql: SessionSql): void {
  const current = new WeakMap<object, string | typeof UNKNOWN>();
  const watch = (connection: SessionConnection): void => {
    const execute = connection.executeQuery.bind(connection);
    connection.executeQuery = (query) => {
      if (CHANGES_SESSION.test(query.sql)) current.set(connection, UNKNOWN);
      return execute(query);
    };
  };
  // run by the pool's connection guard on each checkout (orm/pool-guard.ts), not a wrapper of its own
  onCheckout<SessionConnection>(orm.driver.getConnection(), {
    // `schemaNow` throws when no SQL may run now (no tenant selected): nothing is checked out then
    before: () => schemaNow() ?? '',
    after: (connection, wanted) => {
      let now = current.get(connection);
      if (now === undefined) {
        watch(connection);
        now = '';
      }
      if (now === wanted) return connection;
      return connection.executeQuery(raw(wanted === '' ? sql.leave() : sql.enter(wanted))).then(() => {
        current.set(connection, wanted);
        return connection;
      });
    },
  });
}

function raw(sql: string): RawQuery {
  // the shape of Kysely's CompiledQuery.raw(sql)
  return { sql, parameters: [], query: { kind: 'RawNode', sqlFragments: [sql], parameters: [] } } as RawQuery;
}
