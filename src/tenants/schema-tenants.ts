import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@nestjs/common';
import { type EntityManager, RequestContext } from '@mikro-orm/core';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { messages } from '../errors/messages.js';
import { InvalidOptionsError, NoTenantError, TenantClosedError, UnknownTenantError } from '../errors/multi-db.error.js';
import type { TenantDatabase } from '../multi-db.options.js';
import { closeAll, type Database } from '../orm/start-databases.js';
import type { DropTenantOptions } from './schema-provisioning.js';
import { followTenantSchema, sessionSql } from './schema-session.js';
import type { TenantOrmFactory } from './tenant-orm.js';
import type { TenantLease, TenantPools, TenantPreparer, TenantStats } from './tenant-registry.js';
import type { TenantTemplate } from './tenant-template.js';
import { wildcardSchema } from './wildcard-schema.js';

/** What a schema-mode template needs to know of the tenant selected for the code running now. */
export interface ScopeView {
  readonly tenant: string;
  /** Why a template cannot serve this tenant (invalid or unknown key). */
  readonly failures: ReadonlyMap<string, unknown>;
  /** What it uses, by template: released when it ends. */
  readonly leases: Map<string, TenantLease>;
  readonly ended: boolean;
}

/**
 * The tenants of a schema-mode template: one schema each inside the template's one database, all
 * served by ONE MikroORM and one pool. A tenant costs a key in a set: no ORM, no connection.
 * The ORM's context resolution (MikroORM's `context` option) hands out, per request context, a fork
 * bound to the current tenant's schema (`em.fork({ schema })`). Every connection checked out is
 * pointed at the tenant's schema (schema-session.ts), for raw SQL; a checkout with no tenant
 * selected (outside provisioning) fails with NoTenantError, so no SQL runs outside a tenant.
 */
export class SchemaTenants {
  readonly #attached = new Set<string>();
  /** Tenants some request or runForTenant is using now, with how many of them. */
  readonly #users = new Map<string, number>();
  readonly #config: ResolvedDatabase;
  readonly #forks = new WeakMap<object, Map<string, EntityManager>>();
  readonly #logger = new Logger('MultiDbModule');
  #prepared: Promise<TenantOrmFactory> | undefined;
  #factory: TenantOrmFactory | undefined;
  #database: Database | undefined;
  #closed = false;
  #connecting: Promise<void> | undefined;
  /** Set while provisioning (create, drop, migrations outside a tenant): SQL on the database's own schema. */
  readonly #provisioning = new AsyncLocalStorage<true>();

  constructor(
    readonly template: TenantTemplate,
    private readonly prepare: TenantPreparer,
    private readonly scope: () => ScopeView | undefined,
  ) {
    const shared = template.shared();
    // MikroORM resolves the context while it builds EntityManagers, so this never throws: an
    // EntityManager without a tenant is refused when it checks out a connection (#schemaNow)
    const context = (name: string) => RequestContext.getEntityManager(name) ?? this.#tenantFork();
    this.#config = { ...shared, options: { ...shared.options, context, ...wildcardSchema(shared.options) } };
  }

  /** Records a tenant (checking its key and its schema name's length); creates nothing. */
  async attach(tenant: string, database?: TenantDatabase): Promise<void> {
    this.#assertUsable(tenant);
    if (database !== undefined) {
      throw new InvalidOptionsError(messages.schemaTenantOwnDatabase(this.template.key, tenant), {
        key: this.template.key,
      });
    }
    // the schema name is all that varies: a short key of lower-case letters, digits and `_` fits (maxKeyLength) without
    // resolving a whole configuration, which over 10,000 tenants is most of the attach cost
    if (tenant.length > this.template.maxKeyLength || !/^[a-z0-9_]+$/.test(tenant)) {
      await this.template.resolve(tenant);
    }
    this.#prepared ??= this.prepare(this.#config).then((factory) => (this.#factory = factory));
    await this.#prepared;
    this.#attached.add(tenant);
  }

  /** Forgets a tenant (its schema stays; see `drop`). Its requests in flight finish. */
  async detach(tenant: string): Promise<void> {
    this.template.assertTenant(tenant);
    this.#attached.delete(tenant);
  }

  has(tenant: string): boolean {
    return this.#attached.has(tenant);
  }

  list(): string[] {
    return [...this.#attached];
  }

  assertKnown(tenant: string): void {
    this.#assertUsable(tenant);
    if (!this.#attached.has(tenant)) throw new UnknownTenantError(this.template.key, tenant, this.#attached.size);
  }

  /** Request contexts find a schema tenant's EntityManager through the ORM's context hook, not by name. */
  entityManager(_tenant: string): EntityManager | undefined {
    return undefined;
  }

  stats(): TenantStats {
    const open = this.#database && !this.#closed ? 1 : 0;
    const peakOpen = this.#database ? 1 : 0;
    const inUse = open ? this.#users.size : 0;
    return { attached: this.#attached.size, open, inUse, peakOpen, opened: open, closed: 0, evicted: 0, waiting: 0 };
  }

  /** The one database of every tenant (its pool is shared), once created. */
  pools(): TenantPools {
    return { databases: this.#database ? [this.#database] : [], retiredTimeouts: 0 };
  }

  /** The template's one database, for a known tenant: the tenant counts as in use until it is released. */
  lease(tenant: string): TenantLease {
    this.assertKnown(tenant);
    return this.#lease(tenant, this.database());
  }

  #lease(tenant: string, database: Database): TenantLease {
    const users = this.#users;
    users.set(tenant, (users.get(tenant) ?? 0) + 1);
    const closed = () => this.#closed;
    let released = false;
    return {
      template: this.template.key,
      tenant,
      database,
      get closed() {
        return closed();
      },
      release: () => {
        if (released) return;
        released = true;
        const left = (users.get(tenant) ?? 1) - 1;
        if (left > 0) users.set(tenant, left);
        else users.delete(tenant);
      },
    };
  }

  /** The one ORM of every tenant, created on first use (it connects on its first query). */
  database(): Database {
    if (this.#database) return this.#database;
    if (!this.#factory) throw new UnknownTenantError(this.template.key, '*', 0);
    const database = this.#factory();
    const { config } = database;
    const sql = sessionSql(config.driver, String(config.options.dbName ?? ''));
    followTenantSchema(database.orm, () => this.#schemaNow(), sql);
    this.#database = database;
    return database;
  }

  /**
   * Connects the one ORM once (provisioning calls at once share it): MikroORM creates a missing
   * database (ensureDatabase) on an explicit connect only, reconnecting as it does, which would
   * close the pool of a second connect running at the same time.
   */
  connect(): Promise<void> {
    const { orm } = this.database();
    if ((orm.driver.getConnection() as unknown as { connected?: boolean }).connected) return Promise.resolve();
    this.#connecting ??= orm
      .connect()
      .then(() => undefined)
      .finally(() => {
        this.#connecting = undefined;
      });
    return this.#connecting;
  }

  /** The schema name of a tenant (`tenants.schema` filled in). */
  schemaOf(tenant: string): string {
    return this.template.schemaOf(tenant);
  }

  /** Drops a tenant's schema and every row in it, then detaches it; `confirm` must repeat the tenant key. */
  async drop(tenant: string, options: DropTenantOptions): Promise<void> {
    const schema = this.template.schemaOf(tenant);
    if (options?.confirm !== tenant) {
      throw new InvalidOptionsError(messages.dropNeedsConfirm(this.template.key, tenant, schema), {
        key: this.template.key,
      });
    }
    if (!this.#factory) await this.attach(tenant);
    const { orm, config } = this.database();
    const sql =
      config.driver === 'postgresql'
        ? `drop schema if exists "${schema}" cascade`
        : `drop database if exists \`${schema}\``;
    await this.provision(() => orm.driver.getConnection().execute(sql));
    await this.detach(tenant);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#database) await closeAll([this.#database], this.#logger);
  }

  /** The current tenant's fork of the ORM's EntityManager, one per request context (or tenant scope). */
  #tenantFork(): EntityManager | undefined {
    const key = this.template.key;
    const scope = this.scope();
    if (!scope || scope.failures.has(key) || !this.#database) return undefined;
    const schema = this.template.schemaOf(scope.tenant);
    const holder: object = RequestContext.currentRequestContext() ?? scope;
    let forks = this.#forks.get(holder);
    if (!forks) {
      forks = new Map();
      this.#forks.set(holder, forks);
    }
    let em = forks.get(schema);
    if (!em) {
      em = this.#database.orm.em.fork({ schema, disableContextResolution: true, clear: true });
      forks.set(schema, em);
      // used through the ORM (an injected repository or EntityManager): in use until the scope ends
      if (!scope.ended && !scope.leases.has(key)) scope.leases.set(key, this.#lease(scope.tenant, this.#database));
    }
    return em;
  }

  /** Runs `fn` on the database's own schema, with no tenant (creating or dropping a schema, migrating one). */
  provision<T>(fn: () => Promise<T>): Promise<T> {
    return this.#provisioning.run(true, fn);
  }

  /** The schema the code running now works in: its tenant's, none while provisioning, else an error. */
  #schemaNow(): string | undefined {
    if (this.#provisioning.getStore()) return undefined;
    const key = this.template.key;
    const scope = this.scope();
    if (!scope) throw new NoTenantError(key);
    const failure = scope.failures.get(key);
    if (failure !== undefined) throw failure;
    if (this.#closed) throw new TenantClosedError(key, scope.tenant);
    return this.template.schemaOf(scope.tenant);
  }

  #assertUsable(tenant: string): void {
    this.template.assertTenant(tenant);
    if (this.#closed) throw new TenantClosedError(this.template.key, tenant);
  }
}
