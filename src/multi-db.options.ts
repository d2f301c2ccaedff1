import type {
  AnyEntity,
  EntityClass,
  EntitySchema,
  MigrationsOptions,
  Options,
  SeederOptions as MikroOrmSeederOptions,
} from '@mikro-orm/core';
import type { TransactionsOptions } from './transactions/transaction.options.js';

/** An entity in any MikroORM style: a (decorated) class, a `defineEntity` result or an `EntitySchema`. */
export type EntityLike = EntityClass<AnyEntity> | EntitySchema<any, any>;

/** MikroORM options we accept per database or in `common`; `contextName` and `entities` are ours to set. */
export type MikroOrmOptions = Omit<Partial<Options>, 'contextName' | 'entities' | 'entitiesTs'>;

/** One database: its URL plus any MikroORM option (pool, debug, naming strategy, …). */
export interface DatabaseOptions extends MikroOrmOptions {
  /**
   * SQLAlchemy-style URL; the scheme picks the driver: `postgresql://`, `mysql://`, `mariadb://`,
   * `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://` (in memory). `+suffix` is ignored.
   */
  url: string;
}

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
   * The databases: one URL (shorthand for `{ default: url }`) or a map of key → URL or options.
   * The key `default` is required.
   */
  databases: string | Record<string, string | DatabaseOptions>;
  /**
   * MikroORM options applied to every database; a database's own options win.
   * @default {}
   */
  common?: MikroOrmOptions;
  /**
   * Entities of any database; each goes to the database its `static __database__` names (`'default'` when absent).
   * @default []
   */
  entities?: EntityLike[];
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
}
