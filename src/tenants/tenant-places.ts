import { TenantBusyError } from '../errors/multi-db.error.js';

/** A tenant waiting for a place: `grant` hands it one. */
export interface PlaceWaiter {
  readonly tenant: string;
  grant(): void;
}

interface Waiter extends PlaceWaiter {
  fail(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/** A wait for a place: settles when one is granted, fails on timeout or `cancel`. */
export interface PlaceWait {
  readonly promise: Promise<void>;
  /** Leaves the queue (when still in it), failing the wait with `error`. */
  cancel(error: Error): void;
}

/**
 * The `maxOpen` places of one template's tenant databases: a tenant database holds one while its
 * pool exists. Waiters queue in arrival order and each waits at most `timeoutMs`; a place that
 * frees up goes straight to the longest waiter, so no newcomer can take it first.
 */
export class TenantPlaces {
  #occupied = 0;
  #peak = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    private readonly template: string,
    readonly max: number,
    readonly timeoutMs: number,
  ) {}

  /** Places taken: by open tenant databases, and by those being opened or closed. */
  get occupied(): number {
    return this.#occupied;
  }

  /** The most places ever taken at once (never above `max`). */
  get peak(): number {
    return this.#peak;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** Takes a free place, unless none is free or others are already waiting for one. */
  tryTake(): boolean {
    if (this.#occupied >= this.max || this.#queue.length > 0) return false;
    this.#occupied++;
    this.#peak = Math.max(this.#peak, this.#occupied);
    return true;
  }

  /** Queues for a place handed on by `free` (or by the caller of `next`); a TenantBusyError after the timeout. */
  wait(tenant: string): PlaceWait {
    const waiter: Waiter = { tenant, grant: () => undefined, fail: () => undefined, timer: undefined };
    const promise = new Promise<void>((resolve, reject) => {
      waiter.grant = resolve;
      waiter.fail = reject;
    });
    waiter.timer = setTimeout(
      () => this.#leave(waiter, new TenantBusyError(this.template, tenant, this.max, this.timeoutMs)),
      this.timeoutMs,
    );
    this.#queue.push(waiter);
    return { promise, cancel: (error) => this.#leave(waiter, error) };
  }

  /** Takes the longest waiter out of the queue (its timeout no longer runs): the caller hands it a place. */
  next(): PlaceWaiter | undefined {
    const waiter = this.#queue.shift();
    if (waiter) clearTimeout(waiter.timer);
    return waiter;
  }

  /** A place no longer used: the longest waiter gets it, else it is free again. */
  free(): void {
    const waiter = this.next();
    if (waiter) waiter.grant();
    else this.#occupied--;
  }

  /** Fails every waiter (shutdown). */
  failAll(error: (tenant: string) => Error): void {
    for (const waiter of [...this.#queue]) this.#leave(waiter, error(waiter.tenant));
  }

  #leave(waiter: Waiter, error: Error): void {
    const index = this.#queue.indexOf(waiter);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    clearTimeout(waiter.timer);
    waiter.fail(error);
  }
}
