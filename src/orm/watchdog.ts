/** One wait the watchdog may fail: when it began, and how to fail it. */
export interface Waiter {
  readonly since: number;
  readonly fail: (error: Error) => void;
}

/**
 * Fails waits older than the timeout. One timer serves all waits and is never cleared per wait:
 * a checkout that gets its connection at once pays for a Set entry, not for a timer.
 */
export class Watchdog {
  readonly #waiting = new Set<Waiter>();
  #timer: NodeJS.Timeout | undefined;
  #stopped: Error | undefined;
  #timeouts = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly error: () => Error,
  ) {}

  /** Waits going on now. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Waits that timed out so far. */
  get timeouts(): number {
    return this.#timeouts;
  }

  /** Starts watching a wait; `end` it when it is over (false: the watchdog failed it already). */
  begin(fail: (error: Error) => void): Waiter {
    const waiter: Waiter = { since: Date.now(), fail };
    this.#waiting.add(waiter);
    if (this.#timer === undefined) this.#arm();
    return waiter;
  }

  /** Whether `waiter` was still waiting (it is not any more); false when the watchdog failed it. */
  end(waiter: Waiter): boolean {
    return this.#waiting.delete(waiter);
  }

  /** `promise`'s value, unless the timeout passes first; a value that comes late goes to `late`. */
  watch<T>(promise: Promise<T>, late: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter = this.begin(reject);
      promise.then(
        (value) => (this.#waiting.delete(waiter) ? resolve(value) : late(value)),
        (error: unknown) => this.#waiting.delete(waiter) && reject(error),
      );
    });
  }

  /** The pool is closing: pending waits fail with `error`, and no timer is left behind. */
  stop(error: Error): void {
    this.#stopped = error;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiting) waiter.fail(error);
    this.#waiting.clear();
  }

  /** The error waits fail with once stopped (undefined while running). */
  get stopped(): Error | undefined {
    return this.#stopped;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#stopped !== undefined) return;
    const first = this.#waiting.values().next().value;
    if (first === undefined) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, first.since + this.timeoutMs - Date.now()));
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const waiter of this.#waiting) {
      if (now - waiter.since < this.timeoutMs) break; // in arrival order: the rest are younger
      this.#waiting.delete(waiter);
      this.#timeouts++;
      waiter.fail(this.error());
    }
    this.#arm();
  }
}

/**
 * One holder at a time, the others in arrival order, each waiting no longer than the watchdog
 * allows. Taking a free gate is synchronous (`tryEnter`): no promise when nobody waits.
 */
export class Gate {
  #held = false;
  readonly #queue: (() => void)[] = [];

  constructor(private readonly watchdog: Watchdog) {}

  /** Takes the gate if it is free. */
  tryEnter(): boolean {
    if (this.#held) return false;
    this.#held = true;
    return true;
  }

  /** Waits for the gate (taken by someone else now); a turn that comes after its wait timed out is passed on. */
  wait(): Promise<void> {
    const turn = new Promise<void>((resolve) => this.#queue.push(resolve));
    return this.watchdog.watch(turn, () => this.leave());
  }

  leave(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#held = false;
  }
}
