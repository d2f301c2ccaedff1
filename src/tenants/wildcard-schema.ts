import type { EntityMetadata } from '@mikro-orm/core';
import type { ResolvedDatabase } from '../config/resolve-databases.js';

/**
 * The template's entities without a schema of their own become wildcard-schema entities
 * (`schema: '*'`): MikroORM then creates and migrates them in the schema it is given
 * (`update({ schema })`, `migrator.up({ schema })`) and keeps the migrations history table in that
 * schema, never in the database's own. Entities with an explicit schema are shared tables.
 */
export function wildcardSchema(options: ResolvedDatabase['options']): Partial<ResolvedDatabase['options']> {
  const discovery = (options.discovery ?? {}) as Record<string, unknown>;
  const own = discovery.onMetadata as ((meta: EntityMetadata, platform: unknown) => unknown) | undefined;
  const migrations = (options.migrations ?? {}) as Record<string, unknown>;
  return {
    discovery: {
      ...discovery,
      onMetadata: (meta: EntityMetadata, platform: unknown) => {
        meta.schema ??= '*';
        return own?.(meta, platform);
      },
    },
    // after each tenant's run MikroORM would introspect every schema of the database to write a
    // snapshot: quadratic over 10,000 tenants, and tenants migrated at once would race on its file
    migrations: { snapshotOnMigrate: false, ...migrations, includeWildcardSchema: true },
  } as Partial<ResolvedDatabase['options']>;
}
