import type { Scope } from '@nestjs/common';
import type {
  AnyEntity,
  EntityClass,
  ForkOptions,
  EntitySchema,
  MigrationsOptions,
  Options,
  SeederOptions as MikroOrmSeederOptions,
} from '@mikro-orm/core';
import type { ConnectionPolicy, PoolOptions } from './config/connection.options.js';
import type { MikroOrmConfigDatabase } from './config/mikro-orm-config.options.js';

export type { MikroOrmConfigDatabase } from './config/mikro-orm-config.options.js';
import type { TargetSessionAttrs } from './config/host-list.js';

export type { ConnectionPolicy, PoolOptions } from './config/connection.options.js';
import type { TransactionsOptions } from './transactions/transaction.options.js';
import type { TenantTemplateOptions } from './tenants/tenant.options.js';

export type { TenantTemplateOptions } from './tenants/tenant.options.js';

/** An entity in any MikroORM style: a (decorated) class, a `defineEntity` result or an `EntitySchema`. */
export type EntityLike = EntityClass<AnyEntity> | EntitySchema<any, any>;

/**
 * MikroORM options we accept per database or in `common`; `contextName` and `entities` are ours to set,
 * and `pool` takes our one pool shape. Any other key is refused at start-up (`UnknownOptionError`).
 */
export type MikroOrmOptions = Omit<Partial<Options>, 'contextName' | 'entities' | 'entitiesTs' | 'pool'> & {
  /**
   * The connection pool, one shape for every engine (`{ min, max, idleTimeout, maxLifetime }`, ms).
   * @default the driver's (pg and mysql2: `max` 10)
   */
  pool?: PoolOptions;
};

/** One database: its URL plus any MikroORM option (pool, debug, naming strategy, …). */
export interface DatabaseOptions extends Omit<MikroOrmOptions, 'replicas'>, ConnectionPolicy {
  /**
   * SQLAlchemy-style URL; the scheme picks the driver: `postgresql://`, `mysql://`, `mariadb://`,
   * `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://` (in memory). `+suffix` is ignored.
   * A tenant template (see `tenants`) may put `{tenant}` in it: `sqlite:///data/tenants/{tenant}.db`.
   */
  url: string;
  /**
   * Read replicas of this database, as URLs of the same engine (`postgresql://reader:pw@replica-1/app`).
   * Reads outside a transaction go to a replica (MikroORM's `preferReadReplicas`); writes and
   * everything inside a transaction go to the primary. Pass `{ connectionType: 'write' }` to a
   * `find` to read from the primary (read-your-writes). A replica that cannot be reached is left
   * out for a few seconds and its reads go to the primary.
   * @default []
   */
  replicas?: string[];
  /**
   * Use another configured key's entities (the same tables in another database, e.g. a staging copy
   * of production): `staging: { url, entitiesOf: 'default' }`. Migrations come from that key's folder.
   * `databaseOf(Entity)` and `getRepository(Entity)` keep meaning the entity's own key; reach this
   * one with `db.em('staging')`.
   * @default undefined (the key's own entities)
   */
  entitiesOf?: string;
  /**
   * Says that this key points at the same database as another configured key on purpose (another
   * pool, user or entity set over the same tables): `reporting: { url, sharesDatabaseWith: 'default' }`.
   * Without it, two keys on one database (the same SQLite file; the same host:port, database and
   * PostgreSQL schema) stop start-up. Keys sharing with the same key may share with each other.
   * @default undefined (a database of its own)
   */
  sharesDatabaseWith?: string;
  /**
   * Makes this key a template for tenant databases attached at run time (`DbService.attach(tenant)`),
   * each with its own MikroORM and the template's entities (`__database__ = '<this key>'`).
   * No database is opened for the template itself.
   * @default undefined (a plain database)
   */
  tenants?: TenantTemplateOptions;
  /**
   * The servers of a cluster, in order, replacing the URL's host: `['db1:5432', { host: 'db2', port: 5432 }]`
   * (the same as `postgresql://app:pw@db1:5432,db2:5432/app`). Every new connection tries them in
   * order, starting from the last one that served, and keeps the first that answers as
   * `targetSessionAttrs` asks; see docs/high-availability.md.
   * @default undefined (the URL's host or hosts)
   */
  hosts?: (
    | string
    | {
        /** Host name or address. */
        host: string;
        /** Port. @default the engine's (5432, 3306) */
        port?: number;
      }
  )[];
  /**
   * Which server of a host list a connection keeps (libpq's `target_session_attrs`): PostgreSQL
   * `'any'`, `'read-write'`, `'read-only'`, `'primary'`, `'standby'`, `'prefer-standby'`; MySQL and
   * MariaDB `'any'` only (the first that answers and, in a Galera cluster, is synced). Also
   * `?targetSessionAttrs=` in the URL; this option wins.
   * @default 'any'
   */
  targetSessionAttrs?: TargetSessionAttrs;
}

/** A tenant's database: its URL, or options merged over its template's. */
export type TenantDatabase =
  | string
  | (Partial<DatabaseOptions> & {
      /** Not for a tenant: only a configured key can be a tenant template. */
      tenants?: never;
      /** Not for a tenant: tenants never share a database. */
      sharesDatabaseWith?: never;
    });

/** Finds the tenant of an HTTP request (Express or Fastify raw request); `undefined` when it has none. */
export type TenantResolver = (
  request: import('node:http').IncomingMessage,
) => string | undefined | Promise<string | undefined>;

/**
 * Migration settings for every database: MikroORM's own (`tableName`, `transactional`,
 * `allOrNothing`, `emit`, …) plus ours. A database overrides them in its own `migrations` option.
 */
export interface MigrationOptions extends Omit<MigrationsOptions, 'path' | 'pathTs'> {
  /**
   * Folder holding one sub-folder of migrations per database key (`<directory>/<key>/`),
   * relative to `rootPath`.
   * @default 'migrations'
   */
  directory?: string;
  /**
   * Apply pending migrations of every database at application start-up, before it serves requests.
   * @default false
   */
  runOnStart?: boolean;
}

/** Seeder settings for every database (`@mikro-orm/seeder`); a database overrides them in its own `seeder` option. */
export interface SeederOptions extends Omit<MikroOrmSeederOptions, 'path' | 'pathTs'> {
  /**
   * Folder holding one sub-folder of seeders per database key (`<directory>/<key>/`), relative to `rootPath`.
   * @default 'seeders'
   */
  directory?: string;
}

/** Options of `MultiDbModule.setup()` (and what a `setupAsync()` factory returns). */
export interface MultiDbModuleOptions {
  /**
   * The databases: one URL (shorthand for `{ default: url }`) or a map of key → URL, options with a `url`,
   * or a MikroORM config (`defineConfig({ driver, dbName, host, … })`, see `MikroOrmConfigDatabase`).
   * The key `default` is required.
   */
  databases: string | Record<string, string | DatabaseOptions | MikroOrmConfigDatabase>;
  /**
   * MikroORM options applied to every database; a database's own options win.
   * @default {}
   */
  common?: MikroOrmOptions & ConnectionPolicy;
  /**
   * Entities of any database; each goes to the database its `static __database__` names (`'default'` when absent).
   * @default []
   */
  entities?: readonly EntityLike[];
  /** Migration settings; database `key` keeps its migrations in `<directory>/<key>/`. */
  migrationOptions?: MigrationOptions;
  /** Seeder settings; database `key` keeps its seeders in `<directory>/<key>/`. */
  seederOptions?: SeederOptions;
  /**
   * Base folder for relative SQLite paths (`sqlite:///data/app.db`) and the migrations directory.
   * @default process.cwd()
   */
  rootPath?: string;
  /**
   * Run every HTTP request in one MikroORM request context covering all databases.
   * @default true
   */
  requestContext?: boolean;
  /**
   * The routes the request-context middleware runs on, in Nest's path syntax (`'api/{*path}'`), as
   * @mikro-orm/nestjs's `forRoutesPath`. Requests outside them get no context (their database work
   * fails unless they open one: `db.runInContext`, `@CreateRequestContext()`).
   * @default '{*path}' (every route)
   */
  forRoutesPath?: string;
  /**
   * Finds the current request's tenant (from a header, a sub-domain, a JWT claim…), so that
   * `em('<template>')`, `@InjectRepository(TenantEntity)` and `getRepository` use that tenant's
   * database. The tenant's database is opened (or reused) when the request first uses it, and held
   * until the response closes; a request that never uses it opens nothing.
   * @default undefined (no tenant per request; use `DbService.runForTenant`)
   */
  tenantResolver?: TenantResolver;
  /**
   * Cross-database transactions (`DbService.transaction()`): where the two-phase coordinator log
   * lives and whether in-doubt transactions are recovered at start-up.
   * @default { coordinator: 'default', table: 'multidb_transactions', recoverOnStart: true }
   */
  transactions?: TransactionsOptions;
}

/** Options only the module definition reads (not passed to the options provider). */
export interface MultiDbModuleExtras {
  /**
   * Register the module globally, so DbService and the injection tokens are available everywhere.
   * @default true
   */
  isGlobal?: boolean;
  /**
   * `setupAsync` only: database keys (besides `default`) whose `@InjectOrm(key)` / `@InjectEntityManager(key)`
   * tokens must exist. The keys are otherwise known only once the factory has run, after Nest has
   * fixed the providers; a declared key the factory does not configure stops start-up.
   * @default []
   */
  databaseKeys?: string[];
  /**
   * `Scope.REQUEST`: `@InjectEntityManager(key)` and the `EntityManager` class tokens give each request
   * an EntityManager of its own (`em.fork({ useContext: true, ...forkOptions })`), as @mikro-orm/nestjs's
   * `scope` does; every class injecting one becomes request-scoped (Nest builds it per request). Not
   * needed for request isolation: the default singleton EntityManager already resolves to the current
   * request's fork, at no per-request cost.
   * @default Scope.DEFAULT
   */
  scope?: Scope;
  /**
   * With `scope: Scope.REQUEST`: options of the per-request fork (e.g. `{ useContext: false }`).
   * @default {}
   */
  forkOptions?: ForkOptions;
}
