import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { EntityManager, EntityRepository, MikroORM } from '@mikro-orm/core';
import type { DriverName } from './config/database-url.js';
import { redact } from './config/mask.js';
import { DEFAULT_KEY } from './config/resolve-databases.js';
import { RequestContextFactory } from './context/request-context.js';
import { UnknownDatabaseError } from './errors/multi-db.error.js';
import { MULTIDB_DATABASES } from './multi-db.constants.js';
import type { EntityLike } from './multi-db.options.js';
import type { EntityRegistry } from './entities/entity-registry.js';
import type { StartedDatabases } from './orm/open-databases.js';
import { closeAll, type Database } from './orm/start-databases.js';
import { assertOpen } from './orm/seal.js';
import { allStats, type DatabaseStats } from './orm/database-stats.js';
import { createSchema, dropSchema } from './orm/schema-tools.js';
import type {
  RecoveryReport,
  TransactionEntityManagers,
  TransactionOptions,
} from './transactions/transaction.options.js';
import { TenantMembers } from './tenants/tenant-members.js';
import { CrossDatabaseTransactions } from './transactions/transactions.js';

/** A database as it may be shown to people: no password. */
export interface DatabaseInfo {
  /** The configured key. */
  key: string;
  /** The MikroORM driver the URL's scheme picked. */
  driver: DriverName;
  /** The URL with its password masked. */
  url: string;
  /** Its read replicas' URLs, passwords masked (only when it has replicas). */
  replicas?: string[];
}

/** Owns one MikroORM per configured database and routes every entity to its own. */
@Injectable()
export class DbService extends TenantMembers implements OnModuleInit, OnApplicationShutdown {
  readonly #logger = new Logger('MultiDbModule');
  readonly #byKey: ReadonlyMap<string, Database>;
  readonly #registry: EntityRegistry;
  readonly #contexts: RequestContextFactory;
  readonly #transactions: CrossDatabaseTransactions;
  #closing: Promise<void> | undefined;

  /** @internal Nest constructs it from the started databases. */
  constructor(@Inject(MULTIDB_DATABASES) started: StartedDatabases) {
    super(started.tenants);
    this.#byKey = new Map(started.databases.map((db) => [db.config.key, db]));
    this.#registry = started.registry;
    this.#contexts = new RequestContextFactory(
      started.databases.map((db) => db.orm.em),
      (name) => this.tenantDatabases.entityManager(name),
    );
    this.#transactions = new CrossDatabaseTransactions(started.databases, started.transactions, (key) =>
      this.tenantDatabases.isTemplate(key) ? this.tenantDatabases.database(key) : undefined,
    );
  }

  /** The configured database keys, `default` first. */
  get keys(): string[] {
    return [...this.#byKey.keys()];
  }

  /** Keys of `lazy` databases that could not be reached at start-up; each is used again once its server answers. */
  get unreachableAtStart(): string[] {
    return [...this.#byKey.values()].flatMap((db) => (db.reachableAtStart ? [] : [db.config.key]));
  }

  /** What a database is, safe to show: key, driver family and masked URL. */
  info(key: string = DEFAULT_KEY): DatabaseInfo {
    const { config } = this.#database(key);
    const replicas = config.maskedReplicas.length > 0 ? { replicas: config.maskedReplicas } : {};
    return { key, driver: config.driver, url: config.maskedUrl, ...replicas };
  }

  /**
   * Every database's connection pools now, by key (configured keys, then tenant templates): size,
   * in use, idle, waiting, acquire timeouts so far, replicas; for a tenant template also its tenants
   * (attached, open, opened, evicted…). Read from the pools when called: nothing is counted per query.
   */
  stats(): Record<string, DatabaseStats> {
    return allStats([...this.#byKey.values()], this.tenantDatabases, this.#transactions.coordinatorPool());
  }

  /**
   * Two-phase transactions prepared and not yet committed or rolled back, by PostgreSQL or
   * MySQL/MariaDB key (asks each server; those that cannot be asked now are left out). Includes
   * those of transactions committing at this moment; one that stays is in doubt (see recoverTransactions).
   */
  inDoubtTransactions(): Promise<Record<string, number>> {
    return this.#transactions.inDoubt();
  }

  /** Scrubs this database's secrets from a text we did not write (a driver's error message). */
  redact(key: string, text: string): string {
    return redact(text, this.#database(key).config.secrets);
  }

  /** A database's MikroORM instance. */
  orm(key: string = DEFAULT_KEY): MikroORM {
    return this.#database(key).orm;
  }

  /**
   * A database's EntityManager: the current request context's fork inside one, the global one outside.
   * For a tenant template's key: the current tenant's (see `tenantResolver` and `runForTenant`).
   */
  em(key: string = DEFAULT_KEY): EntityManager {
    // MikroORM's own resolution: a transaction context first, then the request context (or what
    // the `context` option provides), else the global EntityManager
    return this.#database(key).orm.em.getContext(false);
  }

  /** The entities registered in one database. */
  entitiesOf(key: string = DEFAULT_KEY): EntityLike[] {
    return this.#registry.entitiesOf(this.tenantDatabases.isTemplate(key) ? key : this.#database(key).config.entityKey);
  }

  /** The key of the database an entity lives in. */
  databaseOf(entity: EntityLike): string {
    return this.#registry.keyOf(entity);
  }

  /** The EntityManager of the entity's own database. */
  emFor(entity: EntityLike): EntityManager {
    return this.em(this.databaseOf(entity));
  }

  /** The repository of an entity, bound to its own database. */
  getRepository<T extends object>(entity: EntityLike): EntityRepository<T> {
    return this.emFor(entity).getRepository(entity as never) as EntityRepository<T>;
  }

  /** Creates the missing tables of the given databases (all when none given); existing tables and rows are kept. */
  async createAll(...keys: string[]): Promise<void> {
    await Promise.all(this.#select(keys, true).map((db) => createSchema(db.orm, this.tenantSchema(db.config.key))));
  }

  /** Drops the registered entities' tables of the given databases (all when none given), nothing else. */
  async dropAll(...keys: string[]): Promise<void> {
    await Promise.all(this.#select(keys, true).map((db) => dropSchema(db.orm, this.tenantSchema(db.config.key))));
  }

  /** Runs `fn` in one fresh request context over all databases (queue workers, cron jobs, scripts). */
  runInContext<T>(fn: () => T): T {
    return this.#contexts.run(fn);
  }

  /** Closes every database; safe to call more than once. Also runs on application shutdown. */
  close(): Promise<void> {
    // none of these rejects: each database's close failure is logged on its own
    this.#closing ??= Promise.all([
      this.#transactions.close(this.#logger),
      closeAll([...this.#byKey.values()], this.#logger),
      this.tenantDatabases.close(),
    ]).then(() => undefined);
    return this.#closing;
  }

  /** True once `close()` ran (also on application shutdown). */
  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  protected override runInFreshContext<T>(fn: () => T): T {
    return this.#contexts.run(fn);
  }

  /** Nest calls it on application shutdown: {@link DbService.close} (every database, within `shutdownTimeout`). */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  #database(key: string): Database {
    const db = this.#byKey.get(key);
    if (db) return db;
    if (this.tenantDatabases.isTemplate(key)) return this.tenantDatabases.database(key);
    throw new UnknownDatabaseError(key, [...this.keys, ...this.tenantDatabases.templates]);
  }

  /** The databases of `keys` (all when none); `open`: every one must still be open (a closed one fails with its key, before any runs). */
  #select(keys: readonly string[], open = false): Database[] {
    const selected =
      keys.length === 0 ? [...this.#byKey.values()] : [...new Set(keys)].map((key) => this.#database(key));
    if (open) for (const db of selected) assertOpen(db.orm);
    return selected;
  }

  /**
   * Runs `fn` in one transaction per listed database and commits them all, or rolls them all back
   * when `fn` or a flush throws (its error is rethrown). Inside `fn`, `em(key)`, `getRepository()`,
   * injected repositories and EntityManagers of those keys join the transactions; `fn` also gets the
   * EntityManagers by key. Without `twoPhase` the commits run one after another: a crash or failed
   * commit between two leaves the databases inconsistent (a TransactionFailedError names what
   * committed). With `twoPhase: true` they commit atomically (PostgreSQL / MySQL / MariaDB only).
   */
  transaction<K extends string, T>(
    keys: readonly K[],
    fn: (ems: TransactionEntityManagers<K>) => T | Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    return this.#transactions.run(keys, fn, options);
  }

  /** Commits or rolls back in-doubt two-phase transactions (as their logged decision says); also run at start-up. */
  recoverTransactions(): Promise<RecoveryReport> {
    return this.#transactions.recover();
  }

  /** Start-up recovery of in-doubt two-phase transactions, before the application serves requests. */
  async onModuleInit(): Promise<void> {
    // a failed start-up closes the databases, or their pools would keep the process alive
    const report = await this.#transactions.recoverOnStart().catch(async (error: unknown) => {
      await this.close();
      throw error;
    });
    if (report && report.committed.length + report.rolledBack.length > 0)
      this.#logger.log(
        `Recovered two-phase transactions: committed ${report.committed.length}, rolled back ${report.rolledBack.length}`,
      );
  }
}
