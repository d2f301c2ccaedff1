import { EntityManager as EntityManagerClass, type EntityManager, type Transaction } from '@mikro-orm/core';
import type { DbService } from '../db.service.js';

type ContextResolver = (name: string) => EntityManager | undefined;

interface OpenTransaction {
  key: string;
  em: EntityManager;
  previous: ContextResolver;
}

/** The hook registrars of a test framework (Vitest's and Jest's have this shape). */
export interface TestHooks {
  /** Registers `fn` to run before each test. */
  beforeEach(fn: () => Promise<void>): unknown;
  /** Registers `fn` to run after each test. */
  afterEach(fn: () => Promise<void>): unknown;
}

/** Opens one transaction per database before each test and rolls all of them back after it. */
export interface RollbackHooks {
  /** Opens the transactions; every EntityManager of those databases resolves to them until `rollback`. */
  begin(): Promise<void>;
  /** Rolls every transaction back and restores normal EntityManager resolution. */
  rollback(): Promise<void>;
}

/**
 * Per-test rollback across databases. Code under test — services using `@InjectRepository` or
 * `@InjectEntityManager`, `DbService.em()`, HTTP requests through the request context — runs in
 * the test's transaction on each database and sees its own writes; nothing survives the test. A
 * transaction the code commits itself is nested inside (a savepoint), so it is undone too.
 *
 * @param db the application's DbService, or a function returning it (for apps created in `beforeAll`)
 * @param keys the databases to wrap (all when empty)
 */
export function rollbackHooks(db: DbService | (() => DbService), ...keys: string[]): RollbackHooks {
  let open: OpenTransaction[] = [];
  const service = () => (typeof db === 'function' ? db() : db);
  return {
    async begin() {
      if (open.length > 0) throw new Error('rollbackHooks: begin() called twice without rollback() in between.');
      const dbs = service();
      for (const key of keys.length > 0 ? keys : dbs.keys) {
        const orm = dbs.orm(key);
        const em = orm.em.fork({ clear: true, useContext: false });
        await em.begin();
        nestExplicitTransactions(em);
        const previous = orm.config.get('context') as ContextResolver;
        // every context-aware EntityManager of this database (the global one, request contexts'
        // callers, injected repositories) now resolves to the test's transaction
        orm.config.set('context', () => em);
        open.push({ key, em, previous });
      }
    },
    async rollback() {
      const dbs = service();
      const closing = open;
      open = [];
      const errors: unknown[] = [];
      for (const { key, em, previous } of closing.reverse()) {
        dbs.orm(key).config.set('context', previous);
        try {
          await EntityManagerClass.prototype.rollback.call(em);
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
    },
  };
}

/**
 * Code under test may open and commit transactions itself (`em.begin()` … `em.commit()`). On the
 * test's EntityManager, MikroORM would start a new top-level transaction on another connection —
 * outside the test's, so its commit would survive the test. Make them savepoints inside it instead,
 * and give the EntityManager its enclosing transaction back when they end.
 */
function nestExplicitTransactions(em: EntityManager): void {
  const proto = EntityManagerClass.prototype;
  const stack: Transaction[] = [em.getTransactionContext() as Transaction];
  const end = async (finish: () => Promise<void>) => {
    await finish();
    stack.pop();
    em.setTransactionContext(stack.at(-1));
  };
  Object.assign(em, {
    begin: async (options: Parameters<EntityManager['begin']>[0] = {}) => {
      await proto.begin.call(em, { ctx: stack.at(-1), ...options });
      stack.push(em.getTransactionContext() as Transaction);
    },
    commit: () => end(() => proto.commit.call(em)),
    rollback: () => end(() => proto.rollback.call(em)),
  });
}

/**
 * Registers {@link rollbackHooks} with a test framework's `beforeEach` / `afterEach`.
 *
 * @example
 * import { beforeEach, afterEach } from 'vitest';
 * rollbackEachTest(() => app.get(DbService), { beforeEach, afterEach });
 */
export function rollbackEachTest(
  db: DbService | (() => DbService),
  hooks: TestHooks,
  ...keys: string[]
): RollbackHooks {
  const rollback = rollbackHooks(db, ...keys);
  hooks.beforeEach(() => rollback.begin());
  hooks.afterEach(() => rollback.rollback());
  return rollback;
}
