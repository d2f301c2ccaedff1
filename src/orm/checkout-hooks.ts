/**
 * Work a feature adds to every checkout of one pool, run by the pool's connection guard
 * (pool-guard.ts) inside its one wrapper rather than in a wrapper of its own: schema-mode tenants
 * point the session at the tenant's schema (tenants/schema-session.ts).
 */
export interface CheckoutHook<C extends object = object> {
  /** Before a connection is taken: what the checkout needs; throws to refuse it (nothing is taken then). */
  before(): string;
  /** Prepares a checked-out connection for what `before` said; the guard gives it back if this fails. */
  after(connection: C, needed: string): C | Promise<C>;
}

const hooks = new WeakMap<object, CheckoutHook>();

/** Adds `hook` to every checkout of MikroORM connection `connection`'s pools; must run before it connects. */
export function onCheckout<C extends object>(connection: object, hook: CheckoutHook<C>): void {
  hooks.set(connection, hook as unknown as CheckoutHook);
}

/** The hook of a MikroORM connection's checkouts, if a feature added one. */
export function checkoutHookOf(connection: object): CheckoutHook | undefined {
  return hooks.get(connection);
}
