import type { TenantDatabase } from '../multi-db.options.js';

/** How a tenant template opens its tenants' databases. */
export interface TenantTemplateOptions {
  /**
   * At most this many tenant ORMs are open at once; the least recently used idle one is closed
   * (and reopened on demand) to make room. A tenant a request is using is never closed.
   * @default 100
   */
  maxOpen?: number;
  /**
   * Milliseconds a tenant waits for a place among the `maxOpen` open tenant databases when every
   * one is in use, before its use fails with a `TenantBusyError` (HTTP 503 through
   * `DatabaseUnavailableFilter`). A place released within that time goes to the longest waiter.
   * @default the template's `acquireTimeout` (10000 unless set on the template or in `common`)
   */
  slotTimeout?: number;
  /**
   * The tenant's database, when the URL pattern is not enough: a URL or options (merged over the
   * template's), or `undefined` for the pattern. `DbService.attach(tenant, urlOrOptions)` wins over it.
   * @default undefined (the template's `url` with `{tenant}` replaced)
   */
  database?: (tenant: string) => TenantDatabase | undefined | Promise<TenantDatabase | undefined>;
  /**
   * The known tenants: attached at start-up (without opening them) and migrated by the CLI's
   * `--db '<key>:*'`. Read from your tenant catalogue.
   * @default undefined (tenants are attached only by `DbService.attach`)
   */
  list?: () => string[] | Promise<string[]>;
  /**
   * `'database'`: every tenant gets a database (and an ORM and a pool) of its own, from the URL
   * pattern. `'schema'`: every tenant gets a schema (on MySQL/MariaDB: a database) inside the
   * template's one database, all served by one ORM and one pool (see `schema`).
   * @default 'database'
   */
  mode?: 'database' | 'schema';
  /**
   * Schema mode only: the tenant's schema name, with `{tenant}` replaced by the tenant key.
   * @default 'tenant_{tenant}'
   */
  schema?: string;
}
