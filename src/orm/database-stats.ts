import type { DriverName } from '../config/database-url.js';
import type { TenantPools, TenantStats } from '../tenants/tenant-registry.js';
import { connectionsOf } from './pool-guard.js';
import { type PoolShape, type PoolStats, poolShapeOf, readPool, sumPools } from './pool-stats.js';
import type { Database } from './start-databases.js';

/** A tenant template's tenants, as `db.stats()` reports them. */
export interface TenantTemplateStats extends TenantStats {
  /** `database`: a database (ORM and pool) per tenant; `schema`: a schema per tenant, one pool for all. */
  mode: 'database' | 'schema';
}

/** One database key's pools (and, for a tenant template, its tenants) now. */
export interface DatabaseStats {
  /** The database key (a tenant template's key for its tenants). */
  key: string;
  /** Its driver. */
  driver: DriverName;
  /**
   * Its primary pool. For a database-mode tenant template: the pools of its tenant databases open
   * now, added up (`max` and `min` are those of one tenant's pool; `acquireTimeouts` also counts
   * those of tenant databases closed since); for a schema-mode template: its one pool, shared by
   * every tenant.
   */
  pool: PoolStats;
  /** One per read replica, in configuration order (only when it has replicas); added up like `pool` for a template. */
  replicas?: PoolStats[];
  /**
   * The two-phase coordinator log's own pool, on the coordinator's key only, once a two-phase
   * transaction (or recovery, or `inDoubtTransactions()`) has used it. Not part of `pool`.
   */
  coordinator?: PoolStats;
  /** Only for a tenant template. */
  tenants?: TenantTemplateStats;
}

/** A configured database's pools: the primary and its replicas. */
export function databaseStats(database: Database): DatabaseStats {
  const { config, orm } = database;
  const { max, min } = poolShapeOf(config);
  const [primary, ...replicas] = connectionsOf(orm).map((c) => readPool(c, max, min));
  const pool = primary ?? sumPools([], max, min);
  return { key: config.key, driver: config.driver, pool, ...(replicas.length > 0 ? { replicas } : {}) };
}

/** A tenant template's pools, added up over its open tenant databases, and its tenant counts. */
export function templateStats(
  key: string,
  shape: PoolShape,
  mode: 'database' | 'schema',
  pools: TenantPools,
  tenants: TenantStats,
): DatabaseStats {
  const { driver, max, min } = shape;
  const read = pools.databases.map((db) => connectionsOf(db.orm).map((c) => readPool(c, max, min)));
  const nth = (i: number) => read.flatMap((own) => own.slice(i, i + 1));
  const pool = sumPools(nth(0), max, min, pools.retiredTimeouts);
  const replicas = Array.from({ length: shape.replicas }, (_, i) => sumPools(nth(i + 1), max, min));
  return { key, driver, pool, ...(replicas.length > 0 ? { replicas } : {}), tenants: { mode, ...tenants } };
}

/** What `allStats` needs of the tenant templates (TenantDatabases). */
interface Templates {
  readonly templates: string[];
  registry(template: string): {
    readonly template: { readonly shape: PoolShape; readonly mode: 'database' | 'schema' };
    pools(): TenantPools;
    stats(): TenantStats;
  };
}

/** Every configured database's stats (with the coordinator log's pool on its key), then every tenant template's, by key. */
export function allStats(
  databases: readonly Database[],
  tenants: Templates,
  coordinator?: { key: string; pool: PoolStats },
): Record<string, DatabaseStats> {
  const stats: Record<string, DatabaseStats> = {};
  for (const database of databases) stats[database.config.key] = databaseStats(database);
  const home = coordinator && stats[coordinator.key];
  if (home) home.coordinator = coordinator.pool;
  for (const key of tenants.templates) {
    const registry = tenants.registry(key);
    const { shape, mode } = registry.template;
    stats[key] = templateStats(key, shape, mode, registry.pools(), registry.stats());
  }
  return stats;
}
