import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EntityManager } from '@mikro-orm/core';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { InvalidOptionsError, NoTenantError, TenantClosedError, UnknownTenantError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { TenantDatabase, TenantResolver } from '../multi-db.options.js';
import type { Database } from '../orm/start-databases.js';
import { DatabaseClaims } from './tenant-claims.js';
import { type TenantLease, TenantRegistry, type TenantStats } from './tenant-registry.js';
import type { TenantTemplate } from './tenant-template.js';

/** The tenant selected for the code running now, and its databases (one per template). */
interface TenantScope {
  readonly tenant: string;
  readonly leases: ReadonlyMap<string, TenantLease>;
  /** Why a template's database could not be opened for this tenant: thrown when it is used. */
  readonly failures: ReadonlyMap<string, unknown>;
}

/**
 * Every tenant template's registry, and which tenant the current request (or `runForTenant`
 * call) works for. A request holds its tenant's ORMs (one per template) until it ends, so an
 * eviction never closes an ORM a request is still using.
 */
export class TenantDatabases {
  readonly #registries: ReadonlyMap<string, TenantRegistry>;
  readonly #scope = new AsyncLocalStorage<TenantScope>();

  constructor(
    templates: readonly TenantTemplate[],
    open: (config: ResolvedDatabase) => Promise<Database>,
    close: (database: Database) => Promise<void>,
    readonly resolver?: TenantResolver,
    claims: DatabaseClaims = new DatabaseClaims(),
  ) {
    this.#registries = new Map(templates.map((t) => [t.key, new TenantRegistry(t, open, close, claims)]));
  }

  /** The template keys. */
  get templates(): string[] {
    return [...this.#registries.keys()];
  }

  isTemplate(key: string): boolean {
    return this.#registries.has(key);
  }

  /** A template's registry: the one named, or the only one. */
  registry(template?: string): TenantRegistry {
    const registry =
      template === undefined && this.#registries.size === 1 ? [...this.#registries.values()][0] : undefined;
    const found = registry ?? (template === undefined ? undefined : this.#registries.get(template));
    if (!found) throw new InvalidOptionsError(messages.templateNeeded(this.templates), { key: template });
    return found;
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

  /** The current tenant's database of a template; throws naming the template when there is none. */
  database(template: string): Database {
    const scope = this.#scope.getStore();
    if (!scope) throw new NoTenantError(template);
    const failure = scope.failures.get(template);
    if (failure !== undefined) throw failure;
    const lease = scope.leases.get(template);
    if (!lease) throw new UnknownTenantError(template, scope.tenant, this.registry(template).stats().attached);
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

  /** Runs `fn` with `tenant` selected, holding its databases until `fn`'s promise settles. */
  async runFor<T>(tenant: string, fn: () => T | Promise<T>): Promise<T> {
    const scope = await this.#enter(tenant, true);
    try {
      return await this.#scope.run(scope, fn);
    } finally {
      release(scope);
    }
  }

  /**
   * Selects the HTTP request's tenant (from the resolver) and opens its databases before `next`;
   * they are released when the response closes. A failure is kept and thrown when the database is used.
   */
  async enterRequest(request: IncomingMessage, response: ServerResponse, next: () => void): Promise<void> {
    const tenant = await this.resolver?.(request);
    if (tenant === undefined || tenant === null || tenant === '') return next();
    let gone = false;
    const onClose = () => (gone = true);
    response.once('close', onClose);
    const scope = await this.#enter(String(tenant), false);
    response.off('close', onClose);
    // a client that went away while its tenant was being opened must not keep the tenant held
    if (gone || response.closed) return release(scope);
    response.once('close', () => release(scope));
    this.#scope.run(scope, next);
  }

  stats(template?: string): TenantStats {
    return this.registry(template).stats();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#registries.values()].map((r) => r.close()));
  }

  async #enter(tenant: string, strict: boolean): Promise<TenantScope> {
    const leases = new Map<string, TenantLease>();
    const failures = new Map<string, unknown>();
    const registries = [...this.#registries.values()];
    const results = await Promise.allSettled(registries.map((r) => r.acquire(tenant)));
    results.forEach((result, i) => {
      const key = (registries[i] as TenantRegistry).template.key;
      if (result.status === 'fulfilled') leases.set(key, result.value);
      else failures.set(key, result.reason);
    });
    const scope = { tenant, leases, failures };
    // runForTenant names its tenant explicitly: not being able to open it is an error right away
    if (strict && leases.size === 0 && failures.size > 0) {
      release(scope);
      throw [...failures.values()][0];
    }
    return scope;
  }
}

function release(scope: TenantScope): void {
  for (const lease of scope.leases.values()) lease.release();
}
