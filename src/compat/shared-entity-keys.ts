import { databaseKeyOf } from '../entities/database-key.js';
import type { EntityLike } from '../multi-db.options.js';

/**
 * For `setup()`: the other keys that hold an entity's database's entities (`staging: { url,
 * entitiesOf: 'default' }`), so `@InjectRepository(Post, 'staging')` has a provider.
 */
export function keysSharingEntities(databases: unknown): (entity: EntityLike) => string[] {
  if (typeof databases !== 'object' || databases === null) return () => [];
  const sources = Object.entries(databases as Record<string, unknown>).flatMap(([key, value]) => {
    const source =
      typeof value === 'object' && value !== null ? (value as { entitiesOf?: unknown }).entitiesOf : undefined;
    return typeof source === 'string' ? [[key, source] as const] : [];
  });
  if (sources.length === 0) return () => [];
  return (entity) => {
    let home: string;
    try {
      home = databaseKeyOf(entity);
    } catch {
      return []; // an invalid __database__ is reported at start-up, with its entity
    }
    return sources.filter(([, source]) => source === home).map(([key]) => key);
  };
}
