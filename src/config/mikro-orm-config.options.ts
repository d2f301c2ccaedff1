import type { Options } from '@mikro-orm/core';
import type { DatabaseOptions, EntityLike } from '../multi-db.options.js';

/**
 * A database given as the MikroORM config you already have, without `url`:
 * `defineConfig({ driver: PostgreSqlDriver, dbName, host, port, user, password, … })` (from
 * `@mikro-orm/core`, or a driver package's `defineConfig`, which sets `driver`). The engine comes from
 * `driver` (PostgreSqlDriver, MySqlDriver, MariaDbDriver, SqliteDriver or a subclass) or from
 * `clientUrl`; the database's URL is built from `clientUrl`, `host`, `port`, `user`, `password` and
 * `dbName` (SQLite: a file relative to `rootPath`, or `':memory:'`), with MikroORM's defaults for what
 * is missing, and then behaves exactly like that URL. Its `entities` may only list entities routed to
 * this key (they are registered like `setup({ entities })`). Our own options may be added.
 */
export type MikroOrmConfigDatabase = Omit<DatabaseOptions, 'url' | 'replicas'> & {
  /**
   * Read replicas as URLs, or as MikroORM's replica options (`{ host, port, user, password, dbName }`,
   * each missing one taken from the primary's), turned into URLs the same way.
   * @default []
   */
  replicas?: readonly string[] | Options['replicas'];
  /**
   * A URL as well: then `driver` and `clientUrl` must agree with it.
   * @default undefined (built from the MikroORM connection options)
   */
  url?: string;
  /**
   * Entities routed to this key (their `static __database__`); others are refused.
   * @default []
   */
  entities?: readonly (string | EntityLike)[];
  /**
   * Like `entities`.
   * @default []
   */
  entitiesTs?: readonly (string | EntityLike)[];
  /**
   * Only this key itself.
   * @default the key
   */
  contextName?: string;
};
