import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EntityManager } from '@mikro-orm/core';
import {
  InvalidOptionsError,
  NoTenantError,
  TenantClosedError,
  TenantReleasedError,
} from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { TenantDatabase, TenantResolver } from '../multi-db.options.js';
import type { Database } from '../orm/start-databases.js';
import { DatabaseClaims } from './tenant-claims.js';
import { type TenantPreparer, TenantRegistry, type TenantStats } from './tenant-registry.js';
import type { TenantTemplate } from './tenant-template.js';
import { type ScopeView, SchemaTenants } from './schema-tenants.js';

/** A template's tenants: a database (and ORM) each, or a schema each in one database (`tenants.mode`). */
export type TenantCatalog = TenantRegistry | SchemaTenants;

/**
 * The tenant selected for the code running now; its databases are leased on first use and
 * released when it ends. A failure (invalid or unknown key) is thrown when its template is used.
 */
interface TenantScope extends ScopeView {
  ended: boolean;
}

/**
 * Every tenant template's registry, and which tenant the current request (or `runForTenant`
 * call) works for. Selecting a tenant opens nothing: a template's database is leased when the code
 * first uses it (`db.em('<template>')`, a repository, an injected EntityManager…) and held until the
 * request ends, so an eviction never closes an ORM a request is still using.
 */
export class TenantDatabases {
  readonly #registries: ReadonlyMap<string, TenantCatalog>;
  readonly #scope = new AsyncLocalStorage<TenantScope>();

  constructor(
    templates: readonly TenantTemplate[],
    prepare: TenantPreparer,
    close: (database: Database) => Promise<void>,
    readonly resolver?: TenantResolver,
    claims: DatabaseClaims = new DatabaseClaims(),
  ) {
    const scope = () => this.#scope.getStore();
    const catalog = (t: TenantTemplate): TenantCatalog =>
      t.mode === 'schema' ? new SchemaTenants(t, prepare, scope) : new TenantRegistry(t, prepare, close, claims);
    this.#registries = new Map(templates.map((t) => [t.key, catalog(t)]));
  }

  /** The template keys. */
  get templates(): string[] {
    return [...this.#registries.keys()];
  }

  isTemplate(key: string): boolean {
    return this.#registries.has(key);
  }

  /** A template's registry: the one named, or the only one. */
  registry(template?: string): TenantCatalog {
    const registry =
      template === undefined && this.#registries.size === 1 ? [...this.#registries.values()][0] : undefined;
    const found = registry ?? (template === undefined ? undefined : this.#registries.get(template));
    if (!found) throw new InvalidOptionsError(messages.templateNeeded(this.templates), { key: template });
    return found;
  }

  /** The tenant selected for the code running now (request, runForTenant), if any. */
  get current(): string | undefined {
    return this.#scope.getStore()?.tenant;
  }

  /** The schema of the current tenant when `template` is a schema-mode template (else undefined). */
  currentSchema(template: string): string | undefined {
    const registry = this.#registries.get(template);
    const tenant = this.current;
    return registry instanceof SchemaTenants && tenant !== undefined ? registry.schemaOf(tenant) : undefined;
  }

  /** A schema-mode template's tenants; any other key fails, naming it. */
  schemaTenants(template?: string, what = 'this'): SchemaTenants {
    const registry = this.registry(template);
    if (registry instanceof SchemaTenants) return registry;
    throw new InvalidOptionsError(messages.schemaModeOnly(registry.template.key, what), {
      key: registry.template.key,
    });
  }

  /** Attaches every tenant the templates' `list()` functions return (without opening them). */
  async attachListed(): Promise<void> {
    for (const registry of this.#registries.values()) {
      const tenants = (await registry.template.list?.()) ?? [];
      await Promise.all(tenants.map((tenant) => registry.attach(tenant)));
    }
  }

  attach(tenant: string, database?: TenantDatabase, template?: string): Promise<void> {
    return this.registry(template).attach(tenant, database);
  }

  /**
   * The current tenant's database of a template, leased on first use; throws naming the template
   * when there is none. Its pool opens (taking one of `maxOpen` places) on its first query.
   */
  database(template: string): Database {
    const scope = this.#scope.getStore();
    if (!scope) throw new NoTenantError(template);
    const failure = scope.failures.get(template);
    if (failure !== undefined) throw failure;
    let lease = scope.leases.get(template);
    if (!lease) {
      // after the response closed nothing would release a new lease
      if (scope.ended) throw new TenantReleasedError(template, scope.tenant);
      lease = this.registry(template).lease(scope.tenant);
      scope.leases.set(template, lease);
    }
    if (lease.closed) throw new TenantClosedError(template, scope.tenant);
    return lease.database;
  }

  /** The open EntityManager behind a request-context name `<template>:<tenant>` (request contexts fork it lazily). */
  entityManager(name: string): EntityManager | undefined {
    const colon = name.indexOf(':');
    if (colon < 0) return undefined;
    return this.#registries.get(name.slice(0, colon))?.entityManager(name.slice(colon + 1)) as
      | EntityManager
      | undefined;
  }

  /** Runs `fn` with `tenant` selected; the databases it uses are held until `fn`'s promise settles. */
  async runFor<T>(tenant: string, fn: () => T | Promise<T>): Promise<T> {
    const scope = this.#enter(tenant, true);
    try {
      return await this.#scope.run(scope, fn);
    } finally {
      end(scope);
    }
  }

  /**
   * Selects the HTTP request's tenant (from the resolver) before `next`, opening nothing; the
   * databases the request uses are released when the response closes. An unknown or invalid
   * tenant is kept and thrown when a tenant database is used.
   */
  async enterRequest(request: IncomingMessage, response: ServerResponse, next: () => void): Promise<void> {
    const tenant = await this.resolver?.(request);
    if (tenant === undefined || tenant === null || tenant === '') return next();
    // a client that went away while its tenant was being resolved gets nothing run for it
    if (response.closed) return;
    const scope = this.#enter(String(tenant), false);
    response.once('close', () => end(scope));
    this.#scope.run(scope, next);
  }

  stats(template?: string): TenantStats {
    return this.registry(template).stats();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#registries.values()].map((r) => r.close()));
  }

  #enter(tenant: string, strict: boolean): TenantScope {
    const failures = new Map<string, unknown>();
    for (const registry of this.#registries.values()) {
      try {
        registry.assertKnown(tenant);
      } catch (error) {
        failures.set(registry.template.key, error);
      }
    }
    // runForTenant names its tenant explicitly: a tenant no template knows is an error right away
    if (strict && failures.size > 0 && failures.size === this.#registries.size) throw [...failures.values()][0];
    return { tenant, leases: new Map(), failures, ended: false };
  }
}

function end(scope: TenantScope): void {
  scope.ended = true;
  for (const lease of scope.leases.values()) lease.release();
}
