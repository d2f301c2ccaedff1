import { EntitySchema } from '@mikro-orm/core';
import { EntityDatabaseError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { EntityLike } from '../multi-db.options.js';
import { DEFAULT_KEY } from '../config/resolve-databases.js';

/** The static property (or schema property) that names an entity's database. */
export const DATABASE_PROPERTY = '__database__';

type WithDatabase = { [DATABASE_PROPERTY]?: unknown };

/**
 * Places an `EntitySchema` (or `defineEntity` result) without a class of its own in a database:
 * the schema-level twin of `static __database__`, like EllarSQL's `Table(…, __database__=…)`.
 *
 * @example export const Setting = inDatabase('meta', new EntitySchema({ name: 'Setting', properties: { … } }));
 */
export function inDatabase<T extends EntitySchema<any, any>>(key: string, schema: T): T {
  Object.defineProperty(schema, DATABASE_PROPERTY, { value: key, enumerable: false, configurable: true });
  return schema;
}

/** A readable name for messages. */
export function entityName(entity: EntityLike): string {
  if (EntitySchema.is(entity)) return String((entity as EntitySchema).meta.className ?? (entity as EntitySchema).name);
  return (entity as { name?: string }).name || '<anonymous entity>';
}

/**
 * The database key an entity declares: a schema's own key, then its class's (inherited) static
 * `__database__`, then its `extends` parent's; `'default'` when none says otherwise.
 */
export function databaseKeyOf(entity: EntityLike): string {
  const declared = declaredKey(entity, new Set());
  if (declared === undefined) return DEFAULT_KEY;
  if (typeof declared !== 'string' || declared.length === 0) {
    throw new EntityDatabaseError(
      messages.entityInvalidDatabase(entityName(entity), describe(declared)),
      entityName(entity),
    );
  }
  return declared;
}

function declaredKey(entity: unknown, seen: Set<unknown>): unknown {
  if (entity === undefined || entity === null || seen.has(entity)) return undefined;
  seen.add(entity);
  if (EntitySchema.is(entity)) {
    const schema = entity as EntitySchema & WithDatabase;
    if (Object.hasOwn(schema, DATABASE_PROPERTY)) return schema[DATABASE_PROPERTY];
    // only a class that says nothing defers to the parent: `__database__ = null` is refused, not ignored
    const ofClass = declaredKey(schema.meta.class, seen);
    return ofClass !== undefined ? ofClass : declaredKey(schema.meta.extends, seen);
  }
  if (typeof entity === 'function') {
    const value = (entity as WithDatabase)[DATABASE_PROPERTY];
    if (value !== undefined) return value;
    // a class bound to a schema (EntitySchema({ class })) may carry the key on the schema
    return declaredKey(EntitySchema.REGISTRY.get(entity as never), seen);
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'string' ? "''" : `a ${typeof value}`;
}
