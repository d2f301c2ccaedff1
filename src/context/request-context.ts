import { type EntityManager, RequestContext } from '@mikro-orm/core';

/**
 * Runs `fn` in one fresh MikroORM request context over all the given EntityManagers. One call for
 * all databases: a nested single-EM context would replace the whole store (mikro-orm#7838).
 */
export function runInRequestContext<T>(entityManagers: readonly EntityManager[], fn: () => T): T {
  return RequestContext.create(entityManagers as EntityManager[], fn);
}
