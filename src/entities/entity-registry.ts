import { EntitySchema } from '@mikro-orm/core';
import { EntityDatabaseError, UnregisteredEntityError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { EntityLike } from '../multi-db.options.js';
import { databaseKeyOf, entityName } from './database-key.js';

/**
 * Which database every registered entity lives in. One registry per module instance: built once
 * at start-up from `entities` and every `forFeature`, never mutated afterwards.
 */
export class EntityRegistry {
  readonly #byKey = new Map<string, EntityLike[]>();
  /** entity class or schema (and a schema's class) → key */
  readonly #keyOf = new Map<unknown, string>();

  constructor(
    readonly keys: readonly string[],
    entities: Iterable<EntityLike>,
  ) {
    for (const key of keys) this.#byKey.set(key, []);
    for (const entity of entities) this.#add(entity);
  }

  /** The entities of one database, in registration order. */
  entitiesOf(key: string): EntityLike[] {
    return this.#byKey.get(key) ?? [];
  }

  /** The key an entity was registered in, or undefined. */
  find(entity: unknown): string | undefined {
    return this.#keyOf.get(entity);
  }

  /** The key an entity was registered in; throws when it was registered nowhere. */
  keyOf(entity: EntityLike): string {
    const key = this.find(entity);
    if (key === undefined) throw new UnregisteredEntityError(entityName(entity), this.keys);
    return key;
  }

  #add(entity: EntityLike): void {
    if (this.#keyOf.has(entity)) return; // the same entity from `entities` and a forFeature
    const key = databaseKeyOf(entity);
    const list = this.#byKey.get(key);
    if (!list) {
      const name = entityName(entity);
      throw new EntityDatabaseError(messages.entityUnknownDatabase(name, key, this.keys), name, key);
    }
    list.push(entity);
    for (const alias of aliasesOf(entity)) this.#keyOf.set(alias, key);
  }
}

/** A schema is reachable through its class too, and a class through the schema bound to it. */
function aliasesOf(entity: EntityLike): unknown[] {
  if (EntitySchema.is(entity)) return [entity, (entity as EntitySchema).meta.class].filter(Boolean);
  const schema = EntitySchema.REGISTRY.get(entity as never);
  return schema ? [entity, schema] : [entity];
}
