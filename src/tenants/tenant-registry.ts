import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { TenantClosedError, UnknownTenantError } from '../errors/multi-db.error.js';
import type { TenantDatabase } from '../multi-db.options.js';
import type { Database } from '../orm/start-databases.js';
import { DatabaseClaims } from './tenant-claims.js';
import type { TenantOrmFactory } from './tenant-orm.js';
import { TenantOrms } from './tenant-orms.js';
import type { TenantTemplate } from './tenant-template.js';

/** A tenant database in use: released when the request (or `runForTenant`) ends. */
export interface TenantLease {
  readonly template: string;
  readonly tenant: string;
  readonly database: Database;
  /** True once its ORM was closed (shutdown or detach while in use). */
  readonly closed: boolean;
  release(): void;
}

/** How many tenant databases a template has open, now and at most. */
export interface TenantStats {
  /** Tenants attached (known), open or not. */
  attached: number;
  /**
   * Tenant databases holding one of the `maxOpen` places now: their pool opening, open or closing.
   * A tenant selected by a request that has not queried its database yet holds none.
   */
  open: number;
  /** Open tenant databases some request or runForTenant is using (schema mode: tenants whose schema one is using). */
  inUse: number;
  /** The most places held at once (never above `maxOpen`). */
  peakOpen: number;
  /** Tenant databases opened so far (a tenant reopened after being closed counts again). */
  opened: number;
  /** Tenant databases closed so far (to make room, detached, or at shutdown). */
  closed: number;
  /** Tenant databases closed to make room for another (the least recently used idle one, `maxOpen` reached). */
  evicted: number;
  /** Tenants waiting now for one of the `maxOpen` places (every place held by a database in use). */
  waiting: number;
}

/** A template's tenant databases whose pools are open now, and the acquire timeouts of those closed since. */
export interface TenantPools {
  databases: Database[];
  retiredTimeouts: number;
}

/** What a template needs to make one tenant's ORM (see prepareTenantOrm). */
export type TenantPreparer = (config: ResolvedDatabase) => Promise<TenantOrmFactory>;

/**
 * The tenants of one template. Attaching records a tenant's configuration (and prepares its ORM);
 * the ORM is created on first use and opens on its first query, at most `maxOpen` at once
 * (see TenantOrms).
 */
export class TenantRegistry {
  readonly #attached = new Map<string, TenantOrmFactory>();
  readonly #orms: TenantOrms;

  constructor(
    readonly template: TenantTemplate,
    private readonly prepare: TenantPreparer,
    closeOne: (database: Database) => Promise<void>,
    private readonly claims: DatabaseClaims = new DatabaseClaims(),
  ) {
    this.#orms = new TenantOrms(template, closeOne);
  }

  /** Records a tenant (checking its key, its configuration and that no one else uses its database); opens nothing. */
  async attach(tenant: string, database?: TenantDatabase): Promise<void> {
    this.#assertUsable(tenant);
    const config = await this.template.resolve(tenant, database);
    const factory = await this.prepare(config);
    this.claims.claim(this.template.key, tenant, config);
    this.#attached.set(tenant, factory);
  }

  /** Forgets a tenant; its ORM is closed once no request uses it any more (every caller waits for that). */
  detach(tenant: string): Promise<void> {
    this.template.assertTenant(tenant);
    this.#attached.delete(tenant);
    this.claims.release(`${this.template.key}:${tenant}`);
    return this.#orms.detach(tenant);
  }

  has(tenant: string): boolean {
    return this.#attached.has(tenant);
  }

  list(): string[] {
    return [...this.#attached.keys()];
  }

  /** Throws unless `tenant` is a valid, attached tenant of a registry that is not closed. */
  assertKnown(tenant: string): void {
    this.#assertUsable(tenant);
    if (!this.#attached.has(tenant)) throw new UnknownTenantError(this.template.key, tenant, this.#attached.size);
  }

  /** The EntityManager of a tenant's ORM, for request contexts (`<template>:<tenant>`). */
  entityManager(tenant: string) {
    return this.#orms.entityManager(tenant);
  }

  stats(): TenantStats {
    return { attached: this.#attached.size, ...this.#orms.stats() };
  }

  pools(): TenantPools {
    return this.#orms.pools();
  }

  /** A tenant's ORM, held until the lease is released; its pool opens on its first query. */
  lease(tenant: string): TenantLease {
    this.assertKnown(tenant);
    return this.#orms.lease(tenant, this.#attached.get(tenant) as TenantOrmFactory);
  }

  /** Closes every tenant ORM (application shutdown); later uses fail with TenantClosedError. */
  close(): Promise<void> {
    return this.#orms.close();
  }

  #assertUsable(tenant: string): void {
    this.template.assertTenant(tenant);
    if (this.#orms.closed) throw new TenantClosedError(this.template.key, tenant);
  }
}
