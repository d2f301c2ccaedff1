import { Logger } from '@nestjs/common';
import { type DriverClass, importingOnce, loadDriver } from '../config/driver-loader.js';
import { type ResolvedDatabase, resolveOptions } from '../config/resolve-databases.js';
import { EntityRegistry } from '../entities/entity-registry.js';
import { messages } from '../errors/messages.js';
import { TenantClosedError, UnknownDatabaseError } from '../errors/multi-db.error.js';
import type { EntityLike, MultiDbModuleOptions } from '../multi-db.options.js';
import { DatabaseClaims } from '../tenants/tenant-claims.js';
import { TenantDatabases } from '../tenants/tenant-databases.js';
import { MetadataShare } from './shared-metadata.js';
import { prepareTenantOrm } from '../tenants/tenant-orm.js';
import type { TransactionsOptions } from '../transactions/transaction.options.js';
import { withoutEnsureDatabase } from './missing-database.js';
import { entitiesGivenPerKey } from '../config/mikro-orm-config-input.js';
import { closeAll, type Database, type StartOptions, startDatabases } from './start-databases.js';

/** What start-up hands to DbService: the started databases, the entity registry and the tenant templates. */
export interface StartedDatabases {
  readonly databases: readonly Database[];
  /** Every configured database's entities (`registry.keys`: every configured key, also those not opened). */
  readonly registry: EntityRegistry;
  /** The tenant templates' databases, opened on demand. */
  readonly tenants: TenantDatabases;
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
  const { keys: configuredKeys, databases: configs, templates } = resolveOptions(options);
  for (const key of open.keys ?? []) {
    if (!configuredKeys.includes(key)) throw new UnknownDatabaseError(key, configuredKeys);
  }
  const registry = new EntityRegistry(configuredKeys, [
    ...(options.entities ?? []),
    ...entitiesGivenPerKey(options.databases),
    ...(open.extraEntities ?? []),
  ]);
  const selected = open.keys ? configs.filter((c) => open.keys?.includes(c.key)) : configs;
  const logger = open.logger ?? new Logger('MultiDbModule');
  // one line per tenant ORM opened would drown the log of an app with thousands of tenants
  const quiet = { log: () => undefined, warn: logger.warn.bind(logger), error: logger.error.bind(logger) };
  // a tenant opens often (LRU): import its driver once per engine, not once per open
  const drivers = new Map<string, Promise<DriverClass>>();
  const importer = importingOnce(open.importer);
  const driverOf = (config: ResolvedDatabase) => {
    const loading = drivers.get(config.driver) ?? loadDriver(config.key, config.driver, importer);
    drivers.set(config.driver, loading);
    return loading;
  };
  // a template's tenants (and keys with the same entities) discover their metadata once
  const share = new MetadataShare();
  const tenants = new TenantDatabases(
    templates,
    // prepared when attached, created on first use, connected on first query (tenants/tenant-orm.ts)
    async (given) => {
      const config = open.ensureDatabase === false ? withoutEnsureDatabase(given) : given;
      return prepareTenantOrm(config, registry, config.options.driver ?? (await driverOf(config)), quiet, share);
    },
    // a tenant's ORM, EntityManagers or repositories kept past its eviction must not reconnect
    (database) => closeAll([database], logger, tenantRefusal),
    options.tenantResolver,
    // every configured key, opened or not (the CLI opens a few): a tenant may not use their databases
    new DatabaseClaims(configs),
  );
  const databases = await startDatabases(selected, registry, { ...open, importer }, share);
  try {
    await tenants.attachListed();
  } catch (error) {
    await closeAll(databases, logger);
    throw error;
  }
  return { databases, registry, tenants, transactions: options.transactions };
}

/** What a closed tenant database's handles throw: TenantClosedError naming its template and tenant. */
function tenantRefusal({ config }: Database): () => Error {
  const template = config.entityKey;
  const tenant = config.key.slice(template.length + 1); // '<template>:<tenant>'
  return () => new TenantClosedError(template, tenant, messages.tenantEvicted(template, tenant));
}
