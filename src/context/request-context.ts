import { type EntityManager, RequestContext, TransactionContext } from '@mikro-orm/core';

/** EntityManagers that come and go (tenant databases), by context name. */
export type ExtraSources = (name: string) => EntityManager | undefined;

interface ContextStorage<S = RequestContext> {
  run<T>(context: S, fn: () => T): T;
}

/** How a request's fork is made: shared, not allocated per fork (MikroORM copies the options it reads). */
const FORK_OPTIONS = Object.freeze({ useContext: true, disableContextResolution: true });

/**
 * A request's EntityManagers, forked on first use: a request that touches one database of thirty
 * pays for one fork, not thirty. MikroORM reads the context through `map.get(name)` — both
 * `RequestContext.getEntityManager()` and every context-aware EntityManager — so forking inside
 * `get` keeps its whole API working.
 */
class LazyForks extends Map<string, EntityManager> {
  constructor(
    private readonly sources: ReadonlyMap<string, EntityManager>,
    private readonly extra: ExtraSources,
  ) {
    super();
  }

  /**
   * The name being forked right now: a new EntityManager may resolve its context while it is
   * built (one fork at a time: a fork does not fork another database). No Set per request.
   */
  #forking: string | undefined;

  override get(name: string): EntityManager | undefined {
    let em = super.get(name);
    if (em === undefined && this.#forking !== name) {
      const source = this.sources.get(name) ?? this.extra(name);
      if (source === undefined) return undefined;
      const outer = this.#forking;
      this.#forking = name;
      try {
        // fork the global EntityManager itself: resolving its context would land back in this map
        em = source.fork(FORK_OPTIONS);
      } finally {
        this.#forking = outer;
      }
      super.set(name, em);
    }
    return em;
  }

  override has(name: string): boolean {
    return super.has(name) || this.sources.has(name) || this.extra(name) !== undefined;
  }
}

/**
 * Opens request contexts over several databases at once, as one MikroORM `RequestContext` (a
 * nested single-EM context would replace the whole store, mikro-orm#7838).
 */
export class RequestContextFactory {
  readonly #sources: ReadonlyMap<string, EntityManager>;
  readonly #storage: ContextStorage | undefined;

  constructor(
    readonly entityManagers: readonly EntityManager[],
    private readonly extra: ExtraSources = () => undefined,
  ) {
    this.#sources = new Map(entityManagers.map((em) => [em.name, em]));
    // MikroORM keeps its AsyncLocalStorage in a static that is private to TypeScript only
    const storage = (RequestContext as unknown as { storage?: ContextStorage }).storage;
    this.#storage = typeof storage?.run === 'function' ? storage : undefined;
  }

  /** Runs `fn` in one fresh request context over all the databases. */
  run<T>(fn: () => T): T {
    if (!this.#storage) return RequestContext.create(this.entityManagers as EntityManager[], fn); // eager, same semantics
    return this.#storage.run(new RequestContext(new LazyForks(this.#sources, this.extra)), fn);
  }
}

/**
 * A transaction's EntityManagers by key, over the context it was opened in: other keys still resolve
 * to the enclosing transaction (`em.transactional`) or request context's EntityManager.
 */
class TransactionForks extends Map<string, EntityManager> {
  constructor(
    ours: ReadonlyMap<string, EntityManager>,
    private readonly outerTransaction: EntityManager | undefined,
    private readonly outerRequest: Map<string, EntityManager> | undefined,
  ) {
    super(ours);
  }

  override get(name: string): EntityManager | undefined {
    if (super.has(name)) return super.get(name);
    if (this.outerTransaction?.name === name) return this.outerTransaction;
    return this.outerRequest?.get(name);
  }

  override has(name: string): boolean {
    return super.has(name) || this.outerTransaction?.name === name || (this.outerRequest?.has(name) ?? false);
  }
}

/**
 * Runs `fn` with several EntityManagers (one per key) as the current context, so `em.getContext()`
 * of every global EntityManager, its repositories and `DbService.em(key)` resolve to them. MikroORM's
 * TransactionContext holds one EntityManager only, and it wins over the request context, so it is
 * cleared inside and these ride in a request context that falls back to the enclosing one.
 */
export function runWithEntityManagers<T>(ems: ReadonlyMap<string, EntityManager>, fn: () => T): T {
  const outerTransaction = TransactionContext.currentTransactionContext()?.em;
  const outerRequest = RequestContext.currentRequestContext()?.map;
  const context = new RequestContext(new TransactionForks(ems, outerTransaction, outerRequest));
  const transactions = (TransactionContext as unknown as { storage: ContextStorage<TransactionContext | undefined> })
    .storage;
  return transactions.run(undefined, () => requestStorage().run(context, fn));
}

function requestStorage(): ContextStorage<RequestContext> {
  return (RequestContext as unknown as { storage: ContextStorage<RequestContext> }).storage;
}
