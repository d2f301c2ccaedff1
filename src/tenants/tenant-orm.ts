import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '@nestjs/common';
import type { MikroORM, Options } from '@mikro-orm/core';
import type { DriverClass } from '../config/driver-loader.js';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import type { EntityRegistry } from '../entities/entity-registry.js';
import { tagError } from '../errors/database-unavailable.filter.js';
import { messages } from '../errors/messages.js';
import { assertSqliteFileExists, missingDatabase } from '../orm/missing-database.js';
import { MetadataShare } from '../orm/shared-metadata.js';
import { type Database, equipOrm, wrap } from '../orm/start-databases.js';

/** Creates a tenant's ORM, synchronously: no pool, no connection yet. */
export type TenantOrmFactory = () => Database;

/**
 * Prepares a tenant's ORM when the tenant is attached: its driver and MikroORM's extensions
 * (migrations, seeder) load asynchronously, so they are loaded here, once. The returned factory
 * creates the ORM synchronously on first use (`new MikroORM` with synchronous discovery), so that
 * `db.em('<template>')` can stay synchronous; MikroORM 7 connects lazily, on the first query.
 * The template's entity metadata is discovered once, by its first tenant ORM, and shared by the
 * others (`share`, one per module: orm/shared-metadata.ts).
 */
export async function prepareTenantOrm(
  config: ResolvedDatabase,
  registry: EntityRegistry,
  driver: DriverClass,
  logger: Pick<Logger, 'warn'>,
  share: MetadataShare = new MetadataShare(),
): Promise<TenantOrmFactory> {
  const discovery = { ...(config.options.discovery as object | undefined), skipSyncDiscovery: false };
  const entities = registry.entitiesOf(config.entityKey);
  const options = await share.prepare({ ...config.options, driver, entities, discovery } as Options);
  return () => {
    let orm: MikroORM;
    try {
      // a missing file is refused at connect when it may not be created (ensureDatabase: false)
      if (config.sqliteFile && config.options.ensureDatabase !== false) {
        mkdirSync(dirname(config.sqliteFile), { recursive: true });
      }
      orm = share.create(options);
    } catch (error) {
      throw wrap(error, config, messages.initFailed);
    }
    equipOrm(config, orm, registry, logger);
    return { config, orm, reachableAtStart: true };
  };
}

/** What a tenant ORM asks its registry before it creates or connects a pool. */
export interface TenantGate {
  /** Runs `connect` once the tenant holds one of the template's places (one open at a time). */
  open(connect: () => Promise<void>): Promise<void>;
  /** A pool is about to be created outside `open` (a synchronous `getClient()`): take a free place or throw. */
  beforePool(): void;
}

/** The tenant database whose gated connect is running in this async context. */
const connecting = new AsyncLocalStorage<Database>();

interface GatedConnection {
  connected: boolean;
  ensureConnection(): Promise<void>;
  createKyselyDialect?: (...args: unknown[]) => unknown;
}
interface GatedDriver {
  connection: GatedConnection;
  replicas?: GatedConnection[];
  connect(options?: unknown): Promise<unknown>;
  close(force?: boolean): Promise<void>;
}

/**
 * Routes every way a tenant ORM can get a pool through `gate`: a first query (MikroORM connects
 * lazily, through `ensureConnection`), `orm.connect()`, and a synchronous `getClient()` (Kysely
 * dialect creation). A connect is checked with a query, as start-up does: a tenant whose server
 * cannot be reached fails with a DatabaseConnectionError and keeps no place.
 */
export function gateTenantOrm(database: Database, gate: TenantGate): void {
  const { orm, config } = database;
  const driver = orm.driver as unknown as GatedDriver;
  const connect = driver.connect.bind(driver);
  driver.connect = async (options?: unknown) => {
    // MikroORM reconnects from inside a connect (ensureDatabase moves to the management database
    // and back): that open already holds the place, and waiting for it would wait for itself
    if (connecting.getStore() === database) return connect(options);
    await gate.open(() =>
      connecting.run(database, async () => {
        let failure: unknown;
        try {
          assertSqliteFileExists(config);
          await connect(options);
          const check = await orm.checkConnection();
          if (check.ok) return;
          failure = check.error ?? new Error(check.reason);
        } catch (error) {
          failure = error;
        }
        await driver.close(true).catch(() => undefined);
        throw tagError(
          missingDatabase(failure, config) ?? wrap(failure, config, messages.tenantUnreachable),
          config.key,
        );
      }),
    );
    return driver.connection;
  };
  for (const connection of [driver.connection, ...(driver.replicas ?? [])]) {
    connection.ensureConnection = async () => {
      if (!connection.connected) await driver.connect();
    };
    const create = connection.createKyselyDialect;
    if (typeof create !== 'function') continue;
    connection.createKyselyDialect = function (this: unknown, ...args: unknown[]) {
      gate.beforePool();
      return create.apply(this, args);
    };
  }
}
