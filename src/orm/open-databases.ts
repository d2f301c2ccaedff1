import { resolveDatabases } from '../config/resolve-databases.js';
import { EntityRegistry } from '../entities/entity-registry.js';
import { UnknownDatabaseError } from '../errors/multi-db.error.js';
import type { EntityLike, MultiDbModuleOptions } from '../multi-db.options.js';
import type { TransactionsOptions } from '../transactions/transaction.options.js';
import { type Database, type StartOptions, startDatabases } from './start-databases.js';

/** What start-up hands to DbService: the started databases and the entity registry. */
export interface StartedDatabases {
  readonly databases: readonly Database[];
  /** Every configured database's entities (`registry.keys`: every configured key, also those not opened). */
  readonly registry: EntityRegistry;
  /** Cross-database transaction settings (`options.transactions`). */
  readonly transactions?: TransactionsOptions;
}

export interface OpenOptions extends StartOptions {
  /** Entities besides `options.entities` (from forFeature modules). */
  extraEntities?: readonly EntityLike[];
  /** Open only these databases (all when absent); entities of every key are still validated. */
  keys?: readonly string[];
}

/** Options → resolved configs → entity registry → started ORMs: the one path from options to databases. */
export async function openDatabases(options: MultiDbModuleOptions, open: OpenOptions = {}): Promise<StartedDatabases> {
  const configs = resolveDatabases(options);
  const configuredKeys = configs.map((c) => c.key);
  for (const key of open.keys ?? []) {
    if (!configuredKeys.includes(key)) throw new UnknownDatabaseError(key, configuredKeys);
  }
  const registry = new EntityRegistry(configuredKeys, [...(options.entities ?? []), ...(open.extraEntities ?? [])]);
  const selected = open.keys ? configs.filter((c) => open.keys?.includes(c.key)) : configs;
  const databases = await startDatabases(selected, registry, open);
  return { databases, registry, transactions: options.transactions };
}
