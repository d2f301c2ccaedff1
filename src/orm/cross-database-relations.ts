import { type MikroORM, ReferenceKind } from '@mikro-orm/core';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { entityName } from '../entities/database-key.js';
import type { EntityRegistry } from '../entities/entity-registry.js';
import { messages } from '../errors/messages.js';
import { EntityDatabaseError } from '../errors/multi-db.error.js';

/**
 * MikroORM discovers relation targets by reference, so an entity pointing at another database's
 * entity would silently get a copy of that table in its own database. Refuse it instead.
 */
export function assertNoCrossDatabaseRelations(
  config: ResolvedDatabase,
  orm: MikroORM,
  registry: EntityRegistry,
): void {
  const { key, entityKey } = config;
  for (const meta of orm.getMetadata()) {
    if (registry.find(meta.class) !== entityKey) continue;
    for (const prop of Object.values(meta.properties)) {
      if (prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.EMBEDDED) continue;
      const target = prop.targetMeta?.class;
      const targetKey = target ? registry.find(target) : undefined;
      if (target && targetKey !== undefined && targetKey !== entityKey) {
        const owner = entityName(meta.class);
        const message = messages.crossDatabaseRelation(owner, key, prop.name, entityName(target), targetKey);
        throw new EntityDatabaseError(message, owner, key);
      }
    }
  }
}
