import type { Options } from '@mikro-orm/core';
import { resolveOptions } from '../config/resolve-databases.js';
import { EntityRegistry } from '../entities/entity-registry.js';
import type { MultiDbModuleOptions } from '../multi-db.options.js';
import { entitiesGivenPerKey } from '../config/mikro-orm-config-input.js';
import { mikroOrmOptionsOf } from '../orm/start-databases.js';

/**
 * Our options as MikroORM's own config array, one entry per database with `contextName` = key,
 * its driver, its entities and `<directory>/<key>/` migrations, so that MikroORM's CLI works too:
 *
 * @example
 * // mikro-orm.config.ts
 * export default toMikroOrmConfigs(options); // the promise of the array, not a function returning it
 * // npx mikro-orm migration:up --contextName auth
 */
export async function toMikroOrmConfigs(options: MultiDbModuleOptions): Promise<Options[]> {
  // tenant templates have no database of their own to list; their tenants go through our CLI
  const { keys, databases } = resolveOptions(options);
  const registry = new EntityRegistry(keys, [...(options.entities ?? []), ...entitiesGivenPerKey(options.databases)]);
  return Promise.all(databases.map((config) => mikroOrmOptionsOf(config, registry)));
}
