import { TenantBusyError, TenantClosedError, TenantReleasedError } from '../errors/multi-db.error.js';
import { gateTenantOrm, type TenantOrmFactory } from './tenant-orm.js';
import type { Closer, Entry } from './tenant-entry.js';
import { TenantPlaces } from './tenant-places.js';
import { TenantPoolLedger } from './tenant-pools.js';
import type { TenantLease, TenantPools, TenantStats } from './tenant-registry.js';
import type { TenantTemplate } from './tenant-template.js';

/**
 * The ORMs of one template's tenants. A tenant's ORM is created on first use and opens its pool on
 * its first query, taking one of `maxOpen` places: a free one, the least recently used idle ORM's
 * (closing it), or the next one released — waited for at most `slotTimeout`, then TenantBusyError.
 * A waiter whose last user leaves (the client went away) leaves the queue and opens nothing.
 */
export class TenantOrms {
  /** Tenant ORMs in least-recently-used order (a use moves its tenant to the end). */
  readonly #entries = new Map<string, Entry>();
  readonly #places: TenantPlaces;
  readonly #counts = { opened: 0, closed: 0, evicted: 0 };
  readonly #pools = new TenantPoolLedger();
  #closed = false;

  constructor(
    private readonly template: TenantTemplate,
    private readonly closeOne: Closer,
  ) {
    this.#places = new TenantPlaces(template.key, template.maxOpen, template.slotTimeout);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A tenant's ORM, held until the lease is released. Synchronous: the ORM is created if needed
   * (`create`) but opens no pool; its first query waits for a place (see `#open`).
   */
  lease(tenant: string, create: TenantOrmFactory): TenantLease {
    let entry = this.#entries.get(tenant);
    if (!entry || entry.ended || entry.detaching) entry = this.#create(tenant, create);
    entry.refs++;
    this.#entries.delete(tenant);
    this.#entries.set(tenant, entry);
    return this.#lease(entry);
  }

  /** Closes a tenant's ORM once no one uses it any more; every caller waits for that close. */
  detach(tenant: string): Promise<void> {
    const entry = this.#entries.get(tenant);
    if (!entry) return Promise.resolve();
    entry.detaching ??= (async () => {
      if (entry.refs > 0 || entry.opening) await new Promise<void>((resolve) => (entry.idle = resolve));
      await this.#drop(entry, () => new TenantClosedError(this.template.key, tenant));
    })();
    return entry.detaching;
  }

  /** The EntityManager of a tenant's ORM, for request contexts (`<template>:<tenant>`). */
  entityManager(tenant: string) {
    return this.#entries.get(tenant)?.database.orm.em;
  }

  stats(): Omit<TenantStats, 'attached'> {
    const inUse = [...this.#entries.values()].filter((e) => e.refs > 0 && e.place).length;
    const waiting = this.#places.waiting;
    return { open: this.#places.occupied, inUse, peakOpen: this.#places.peak, waiting, ...this.#counts };
  }

  /** The tenant databases holding a place or closing now (their pools open), and the acquire timeouts of those closed. */
  pools(): TenantPools {
    return this.#pools.pools([...this.#entries.values()].filter((e) => e.place).map((e) => e.database));
  }

  /** Closes every tenant ORM (application shutdown); later uses fail with TenantClosedError. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = (tenant: string) => new TenantClosedError(this.template.key, tenant);
    this.#places.failAll(closed);
    await Promise.allSettled([...this.#entries.values()].map((e) => e.opening));
    await Promise.all([...this.#entries.values()].map((e) => this.#drop(e, () => closed(e.tenant))));
  }

  #create(tenant: string, create: TenantOrmFactory): Entry {
    const entry: Entry = {
      tenant,
      database: create(),
      refs: 0,
      place: false,
      opening: undefined,
      waiting: undefined,
      ended: undefined,
      closing: undefined,
      idle: undefined,
      detaching: undefined,
    };
    gateTenantOrm(entry.database, {
      open: (connect) => this.#open(entry, connect),
      beforePool: () => this.#beforePool(entry),
    });
    this.#entries.set(tenant, entry);
    return entry;
  }

  /** Opens an ORM's pools once it holds a place; concurrent first queries share one open. */
  #open(entry: Entry, connect: () => Promise<void>): Promise<void> {
    if (entry.ended) return Promise.reject(entry.ended());
    if (entry.opening) return entry.opening;
    if (entry.place) return connect();
    const opening = (async () => {
      try {
        await this.#takePlace(entry);
        try {
          await connect();
        } catch (error) {
          this.#givePlaceBack(entry);
          throw error;
        }
        this.#counts.opened++;
      } finally {
        entry.opening = undefined;
        this.#settle(entry);
      }
    })();
    entry.opening = opening;
    return opening;
  }

  /** A free place, the least recently used idle ORM's place (closing it), or the next one released. */
  async #takePlace(entry: Entry): Promise<void> {
    if (this.#closed) throw new TenantClosedError(this.template.key, entry.tenant);
    if (!this.#places.tryTake()) {
      const idle = this.#places.waiting === 0 ? this.#idle() : undefined;
      if (idle) {
        const ended = () => new TenantReleasedError(this.template.key, idle.tenant);
        this.#counts.evicted++;
        await this.#drop(idle, ended, true).catch(() => undefined);
      } else {
        entry.waiting = this.#places.wait(entry.tenant);
        try {
          await entry.waiting.promise;
        } finally {
          entry.waiting = undefined;
        }
      }
    }
    entry.place = true;
    // its users may have left (the client went away) while it waited: it does not open then
    if (this.#closed || entry.ended || entry.refs === 0) {
      this.#givePlaceBack(entry);
      throw entry.ended?.() ?? new TenantReleasedError(this.template.key, entry.tenant);
    }
  }

  /** A pool created outside `#open` (synchronous `getClient()`): only with a place at hand. */
  #beforePool(entry: Entry): void {
    if (entry.ended) throw entry.ended();
    if (entry.place) return;
    if (this.#closed) throw new TenantClosedError(this.template.key, entry.tenant);
    // nothing can wait here: a synchronous caller gets a free place or an answer at once
    if (!this.#places.tryTake()) throw new TenantBusyError(this.template.key, entry.tenant, this.template.maxOpen, 0);
    entry.place = true;
    this.#counts.opened++;
  }

  /** After its last user left or its open ended: hand it to a detach, drop it, or pass its place on. */
  #settle(entry: Entry): void {
    if (entry.refs > 0 || entry.opening || entry.ended) return;
    const released = () => new TenantReleasedError(this.template.key, entry.tenant);
    if (entry.idle) {
      entry.idle();
    } else if (!entry.place) {
      void this.#drop(entry, released);
    } else {
      const waiter = this.#places.next();
      const grant = () => waiter?.grant();
      if (waiter) void this.#drop(entry, released, true).then(grant, grant);
    }
  }

  /** The least recently used ORM that holds a place and that nobody uses, opens or detaches. */
  #idle(): Entry | undefined {
    for (const entry of this.#entries.values()) {
      if (entry.refs === 0 && entry.place && !entry.opening && !entry.ended && !entry.detaching) return entry;
    }
    return undefined;
  }

  /**
   * Closes an ORM for good (once; later calls wait for the same close). Its place goes back to the
   * queue, or to the caller (`handOver`). An ORM that never opened a pool has nothing to close.
   */
  #drop(entry: Entry, ended: () => Error, handOver = false): Promise<void> {
    if (this.#entries.get(entry.tenant) === entry) this.#entries.delete(entry.tenant);
    if (entry.ended) return entry.closing ?? Promise.resolve();
    entry.ended = ended;
    entry.waiting?.cancel(ended());
    entry.idle?.(); // a detach waiting for it goes on to wait for this close
    if (!entry.place) return Promise.resolve();
    this.#pools.closing(entry.database);
    entry.closing = (async () => {
      try {
        await this.closeOne(entry.database);
      } finally {
        this.#counts.closed++;
        this.#pools.closed(entry.database);
        entry.place = false;
        if (!handOver) this.#places.free();
      }
    })();
    return entry.closing;
  }

  #givePlaceBack(entry: Entry): void {
    if (!entry.place) return;
    entry.place = false;
    this.#places.free();
  }

  #lease(entry: Entry): TenantLease {
    let released = false;
    return {
      template: this.template.key,
      tenant: entry.tenant,
      database: entry.database,
      get closed() {
        return entry.ended !== undefined;
      },
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.refs > 0) return;
        entry.waiting?.cancel(new TenantReleasedError(this.template.key, entry.tenant));
        this.#settle(entry);
      },
    };
  }
}
