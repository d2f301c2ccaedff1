import type { MikroORM } from '@mikro-orm/core';

const REFUSAL = Symbol('nestjs-multidb:refusal');

/** The error a closed database's handles throw (DatabaseClosedError, or TenantClosedError for a tenant). */
export type Refusal = () => Error;

/**
 * Makes one MikroORM connection (a database's primary, a replica, the coordinator log's) refuse
 * work for good. MikroORM 7 creates its client lazily, so a closed ORM would otherwise open a new
 * pool on its next query — behind `close()`, outliving it and a tenant template's `maxOpen`.
 * Everything that could open that pool again goes through `createKysely()`: a query, a
 * transaction, `connect()`, `reconnect()`, schema tools, migrations, a health ping. It costs
 * nothing per query: the check sits where a pool is created (and closeWithin makes the pool itself
 * refuse checkouts while it closes, pool-usage.ts).
 */
export function sealConnection(connection: object, refusal: Refusal): void {
  const target = connection as Record<PropertyKey, unknown>;
  target[REFUSAL] = refusal;
  target.createKysely = () => {
    throw refusal();
  };
}

/** The error a sealed connection refuses work with; undefined while it is open. */
export function refusalOf(connection: object): Error | undefined {
  const refusal = (connection as Record<PropertyKey, unknown>)[REFUSAL] as Refusal | undefined;
  return refusal?.();
}

/** Throws the refusal of a closed ORM: for entry points that would fail obscurely before reaching its pool. */
export function assertOpen(orm: MikroORM): void {
  const refused = refusalOf(orm.driver.getConnection('write'));
  if (refused) throw refused;
}
