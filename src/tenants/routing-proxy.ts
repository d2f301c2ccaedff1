/** Properties Nest (and `await`) probe on every provider; a routing proxy has none of its own. */
export const PROBED: ReadonlySet<string | symbol> = new Set([
  'then',
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
]);

/**
 * A stand-in that forwards every access to `current()`, looked up anew each time: an injected
 * singleton (a tenant entity's repository, a template's EntityManager) that always means the
 * current request's tenant.
 */
export function routingProxy<T extends object>(current: () => T, kind: { prototype: object }): T {
  return new Proxy(Object.create(kind.prototype) as T, {
    get(_, property) {
      if (typeof property === 'symbol' || PROBED.has(property)) return undefined;
      // Nest's discovery reads every provider's constructor at start-up, when no tenant is selected
      if (property === 'constructor') return tryCurrent(current)?.constructor ?? kind.prototype.constructor;
      const target = current();
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set: (_, property, value) => Reflect.set(current(), property, value),
    has: (_, property) => Reflect.has(current(), property),
    getPrototypeOf: (stand) => Object.getPrototypeOf(tryCurrent(current) ?? stand),
  });
}

function tryCurrent<T>(current: () => T): T | undefined {
  try {
    return current();
  } catch {
    return undefined;
  }
}
