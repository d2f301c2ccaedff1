/**
 * Changes the Kysely dialect a MikroORM connection creates (`createKyselyDialect`, which may return
 * it or a promise of it), for every pool the connection creates from now on. Must run before the
 * ORM connects. Returns false when the connection creates no Kysely dialect (nothing to change).
 */
export function onKyselyDialect<D extends object>(connection: object, change: (dialect: D) => D): boolean {
  const target = connection as Record<string, unknown>;
  const create = target.createKyselyDialect;
  if (typeof create !== 'function') return false;
  target.createKyselyDialect = function (this: unknown, ...args: unknown[]) {
    const dialect = create.apply(this, args) as D | Promise<D>;
    return dialect instanceof Promise ? dialect.then(change) : change(dialect);
  };
  return true;
}
