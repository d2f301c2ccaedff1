import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { TenantClosedError, UnknownTenantError } from '../errors/multi-db.error.js';
import type { TenantDatabase } from '../multi-db.options.js';
import type { Database } from '../orm/start-databases.js';
import { DatabaseClaims } from './tenant-claims.js';
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

/** How many tenant ORMs a template has, now and at most. */
export interface TenantStats {
  attached: number;
  /** ORMs that exist now: opening, open or closing. */
  open: number;
  /** Open ORMs some request is using. */
  inUse: number;
  /** The most ORMs that existed at once (never above `maxOpen`). */
  peakOpen: number;
  opened: number;
  closed: number;
}

interface Slot {
  readonly tenant: string;
  readonly database: Database;
  refs: number;
  closed: boolean;
  detached?: () => void;
}

type Opener = (config: ResolvedDatabase) => Promise<Database>;
type Closer = (database: Database) => Promise<void>;

/**
 * The tenants of one template. Attaching only records a tenant's configuration; its ORM opens on
 * first use. At most `maxOpen` ORMs exist at once: the least recently used idle one is closed to
 * make room, and when every one is in use the next open waits for one to be released. Opening a
 * tenant that is already being opened joins that open (single flight).
 */
export class TenantRegistry {
  readonly #attached = new Map<string, ResolvedDatabase>();
  /** Open ORMs in least-recently-used order (a use moves its tenant to the end). */
  readonly #slots = new Map<string, Slot>();
  readonly #opening = new Map<string, { joiners: number; promise: Promise<Slot> }>();
  readonly #waiters: Array<() => void> = [];
  readonly #stats = { peakOpen: 0, opened: 0, closed: 0 };
  /** ORMs that exist: opening, open and closing; never above maxOpen. */
  #occupied = 0;
  #closed = false;

  constructor(
    readonly template: TenantTemplate,
    private readonly open: Opener,
    private readonly closeOne: Closer,
    private readonly claims: DatabaseClaims = new DatabaseClaims(),
  ) {}

  /** Records a tenant (checking its key, its configuration and that no one else uses its database); opens nothing. */
  async attach(tenant: string, database?: TenantDatabase): Promise<void> {
    this.#assertUsable(tenant);
    const config = await this.template.resolve(tenant, database);
    this.claims.claim(this.template.key, tenant, config);
    this.#attached.set(tenant, config);
  }

  /** Forgets a tenant; its ORM is closed once no request uses it any more. */
  async detach(tenant: string): Promise<void> {
    this.template.assertTenant(tenant);
    this.#attached.delete(tenant);
    this.claims.release(`${this.template.key}:${tenant}`);
    const slot = this.#slots.get(tenant);
    if (!slot) return;
    if (slot.refs > 0) await new Promise<void>((resolve) => (slot.detached = resolve));
    if (this.#slots.get(tenant) === slot) await this.#evict(slot, true);
  }

  has(tenant: string): boolean {
    return this.#attached.has(tenant);
  }

  list(): string[] {
    return [...this.#attached.keys()];
  }

  /** The EntityManager of an open tenant by its context name (`<template>:<tenant>`), for request contexts. */
  entityManager(tenant: string) {
    return this.#slots.get(tenant)?.database.orm.em;
  }

  stats(): TenantStats {
    const inUse = [...this.#slots.values()].filter((s) => s.refs > 0).length;
    return { attached: this.#attached.size, open: this.#occupied, inUse, ...this.#stats };
  }

  /** Opens (or reuses) a tenant's ORM and holds it open until the lease is released. */
  async acquire(tenant: string): Promise<TenantLease> {
    this.#assertUsable(tenant);
    const config = this.#attached.get(tenant);
    if (!config) throw new UnknownTenantError(this.template.key, tenant, this.#attached.size);
    const slot = this.#slots.get(tenant);
    if (slot) {
      slot.refs++;
      this.#slots.delete(tenant);
      this.#slots.set(tenant, slot);
      return this.#lease(slot);
    }
    let pending = this.#opening.get(tenant);
    if (!pending) {
      const created = { joiners: 0, promise: undefined as unknown as Promise<Slot> };
      created.promise = this.#openSlot(tenant, config, created).finally(() => this.#opening.delete(tenant));
      this.#opening.set(tenant, created);
      pending = created;
    }
    pending.joiners++;
    return this.#lease(await pending.promise);
  }

  /** Closes every tenant ORM (application shutdown); later acquires fail with TenantClosedError. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
    await Promise.allSettled([...this.#opening.values()].map((p) => p.promise));
    await Promise.all([...this.#slots.values()].map((slot) => this.#evict(slot, false)));
  }

  async #openSlot(tenant: string, config: ResolvedDatabase, pending: { joiners: number }): Promise<Slot> {
    await this.#reserve(tenant);
    let database: Database;
    try {
      database = await this.open(config);
    } catch (error) {
      this.#free();
      throw error;
    }
    // every joiner holds it from this very moment: nothing can evict it before they resume
    const slot: Slot = { tenant, database, refs: pending.joiners, closed: false };
    this.#slots.set(tenant, slot);
    this.#stats.opened++;
    if (this.#closed) {
      await this.#evict(slot, false);
      throw new TenantClosedError(this.template.key, tenant);
    }
    return slot;
  }

  /** Takes a place for one more ORM: a free one, the least recently used idle one's, or the next released. */
  async #reserve(tenant: string): Promise<void> {
    for (;;) {
      if (this.#closed) throw new TenantClosedError(this.template.key, tenant);
      if (this.#occupied < this.template.maxOpen) {
        this.#occupied++;
        this.#stats.peakOpen = Math.max(this.#stats.peakOpen, this.#occupied);
        return;
      }
      const idle = [...this.#slots.values()].find((s) => s.refs === 0);
      if (idle) {
        await this.#evict(idle, false, true);
        return;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Closes a slot's ORM; its place goes to the caller (`handOver`) or back to the pool. */
  async #evict(slot: Slot, wakeWaiters: boolean, handOver = false): Promise<void> {
    this.#slots.delete(slot.tenant);
    slot.closed = true;
    try {
      await this.closeOne(slot.database);
    } finally {
      this.#stats.closed++;
      if (!handOver) this.#free(wakeWaiters);
    }
  }

  #free(wake = true): void {
    this.#occupied--;
    if (wake) this.#waiters.shift()?.();
  }

  #lease(slot: Slot): TenantLease {
    let released = false;
    return {
      template: this.template.key,
      tenant: slot.tenant,
      database: slot.database,
      get closed() {
        return slot.closed;
      },
      release: () => {
        if (released) return;
        released = true;
        slot.refs--;
        if (slot.refs > 0) return;
        if (slot.detached) slot.detached();
        else this.#waiters.shift()?.();
      },
    };
  }

  #assertUsable(tenant: string): void {
    this.template.assertTenant(tenant);
    if (this.#closed) throw new TenantClosedError(this.template.key, tenant);
  }
}
