import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Logger } from '@nestjs/common';
import { MikroORM, type Options } from '@mikro-orm/core';
import { loadDriver, type ModuleImporter } from '../config/driver-loader.js';
import { redact } from '../config/mask.js';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import type { EntityRegistry } from '../entities/entity-registry.js';
import { tagErrorsWithKey } from '../errors/database-unavailable.filter.js';
import { assertSqliteFileExists, missingDatabase, withoutEnsureDatabase } from './missing-database.js';
import { cheaperForks } from './fork-cost.js';
import { connectionsOf, limitAcquireWait } from './pool-guard.js';
import { reuseSqliteStatements } from './sqlite-statements.js';
import { DatabaseClosedError, DatabaseConnectionError, MultiDbError } from '../errors/multi-db.error.js';
import { nameKeyOnConnectionLoss } from './connection-lost.js';
import { installFailover } from './host-failover.js';
import { messages } from '../errors/messages.js';
import { closeWithin } from './close-database.js';
import { fallBackFromDeadReplicas, REPLICA_RETRY_MS } from './replica-fallback.js';
import { assertNoCrossDatabaseRelations } from './cross-database-relations.js';
import { LoginGroups } from './login-groups.js';
import { MetadataShare } from './shared-metadata.js';
import type { Refusal } from './seal.js';

/** A started database: its resolved configuration and its ORM. */
export interface Database {
  readonly config: ResolvedDatabase;
  readonly orm: MikroORM;
  /** False for a `lazy` database that could not be reached at start-up. */
  readonly reachableAtStart: boolean;
}

export interface StartOptions {
  logger?: Pick<Logger, 'log' | 'warn' | 'error'>;
  importer?: ModuleImporter;
  /** `false`: never create a missing database, whatever the databases' own `ensureDatabase` (read-only CLI commands). */
  ensureDatabase?: false;
}

/**
 * Starts every database concurrently: loads its driver, initialises its ORM with its own entities
 * and connects (v7 connects lazily, and an unreachable server must stop start-up). If any fails,
 * the ones that started are closed, so their pools do not keep the process alive.
 */
export async function startDatabases(
  configs: readonly ResolvedDatabase[],
  registry: EntityRegistry,
  options: StartOptions = {},
  share: MetadataShare = new MetadataShare(),
): Promise<Database[]> {
  const logger = options.logger ?? new Logger('MultiDbModule');
  const started: Database[] = [];
  const groups = new LoginGroups(configs);
  const results = await Promise.allSettled(
    configs.map(async (given) => {
      let connected: MikroORM | undefined;
      try {
        const database = await startOne(given, registry, share, groups, options, logger, (db) => started.push(db));
        if (database.reachableAtStart) connected = database.orm;
        return database;
      } finally {
        await groups.checked(given, connected);
      }
    }),
  );
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length === 0) return results.map((r) => (r as PromiseFulfilledResult<Database>).value);

  await closeAll(started, logger);
  for (const extra of failures.slice(1)) logger.error(errorMessage(extra));
  throw failures[0];
}

/** One key: its ORM, equipped, then connected and checked (or confirmed by its login group). */
async function startOne(
  given: ResolvedDatabase,
  registry: EntityRegistry,
  share: MetadataShare,
  groups: LoginGroups,
  options: StartOptions,
  logger: Pick<Logger, 'log' | 'warn' | 'error'>,
  track: (database: Database) => void,
): Promise<Database> {
  const begin = performance.now();
  const config = options.ensureDatabase === false ? withoutEnsureDatabase(given) : given;
  assertSqliteFileExists(config);
  const orm = await initOrm(config, registry, share, options.importer);
  track({ config, orm, reachableAtStart: false });
  equipOrm(config, orm, registry, logger);
  const ready = (how: string): Database => {
    logger.log(`Database '${config.key}' (${config.maskedUrl}) ${how} in ${Math.round(performance.now() - begin)} ms`);
    return { config, orm, reachableAtStart: true };
  };
  if (await groups.confirmed(given)) {
    // the server, the login and this database were checked over another key's connection
    await orm.driver.connect({ skipOnConnect: true });
    return ready('ready (checked with the keys sharing its server and login)');
  }
  try {
    await connect(orm);
  } catch (error) {
    if (!config.lazy) throw missingDatabase(error, config) ?? wrap(error, config, messages.connectionFailed);
    // the pool stays: its next query connects, so the database comes back by itself
    const reason = redact(errorMessage(error), config.secrets);
    logger.warn(messages.lazyStartDown(config.key, config.maskedUrl, reason));
    return { config, orm, reachableAtStart: false };
  }
  if (await isMariaDbThroughMySqlDriver(orm)) logger.warn(messages.mariaDbThroughMySql(config.key, config.maskedUrl));
  return ready('ready');
}

/**
 * Closes every ORM, each in its own try/catch so one failure does not leak the others. Each refuses
 * work from the start (`refusal`: DatabaseClosedError by default), waits up to its `shutdownTimeout`
 * for connections still in use, then destroys them (closeWithin).
 */
export async function closeAll(
  databases: readonly Database[],
  logger: Pick<Logger, 'error' | 'warn'>,
  refusal: (database: Database) => Refusal = (db) => () => new DatabaseClosedError(db.config.key),
): Promise<void> {
  await Promise.all(
    databases.map(async (database) => {
      const { config, orm } = database;
      try {
        await closeWithin({
          key: config.key,
          connections: connectionsOf(orm),
          shutdownTimeout: config.shutdownTimeout,
          refusal: refusal(database),
          close: () => orm.close(true),
          logger,
        });
      } catch (error) {
        logger.error(`Database '${config.key}' failed to close: ${redact(errorMessage(error), config.secrets)}`);
      }
    }),
  );
}

/**
 * What every ORM of ours gets before it connects: errors tagged with its key, cheaper forks, reused
 * SQLite statements, a bounded wait for a pooled connection, reads that fall back from dead
 * replicas, and no relation across databases.
 */
export function equipOrm(
  config: ResolvedDatabase,
  orm: MikroORM,
  registry: EntityRegistry,
  logger: Pick<Logger, 'warn'>,
): void {
  tagErrorsWithKey(orm, config.key);
  cheaperForks(orm);
  nameKeyOnConnectionLoss(orm, config);
  for (const [i, connection] of connectionsOf(orm).entries()) {
    installFailover(connection, config.driver, config.hostLists[i], config);
  }
  if (config.driver === 'sqlite' && config.reuseStatements) reuseSqliteStatements(orm); // before the guard
  limitAcquireWait(orm, config.key, config.acquireTimeout);
  fallBackFromDeadReplicas(orm, (index, error) =>
    logger.warn(
      messages.replicaDown(
        config.key,
        config.maskedReplicas[index] ?? '',
        redact(errorMessage(error), config.secrets),
        REPLICA_RETRY_MS,
      ),
    ),
  );
  assertNoCrossDatabaseRelations(config, orm, registry);
}

/**
 * One database's complete MikroORM options: its driver (loaded on demand) and its own entities.
 * Creates the folder of a SQLite file, which better-sqlite3 does not.
 */
export async function mikroOrmOptionsOf(
  config: ResolvedDatabase,
  registry: EntityRegistry,
  importer?: ModuleImporter,
  folders = new Map<string, Promise<unknown>>(),
): Promise<Options> {
  const driver = config.options.driver ?? (await loadDriver(config.key, config.driver, importer));
  if (config.sqliteFile) {
    // one mkdir per folder: keys whose files share a folder (a start-up's usual case) create it once
    const folder = dirname(config.sqliteFile);
    const making = folders.get(folder) ?? mkdir(folder, { recursive: true });
    folders.set(folder, making);
    await making;
  }
  return { ...config.options, driver, entities: registry.entitiesOf(config.entityKey) } as Options;
}

/** A key's ORM; keys with the same driver and entities (`entitiesOf`) discover their metadata once. */
async function initOrm(
  config: ResolvedDatabase,
  registry: EntityRegistry,
  share: MetadataShare,
  importer?: ModuleImporter,
): Promise<MikroORM> {
  const options = await mikroOrmOptionsOf(config, registry, importer, share.folders);
  try {
    return await share.init(await share.prepare(options));
  } catch (error) {
    throw wrap(error, config, messages.initFailed);
  }
}

async function connect(orm: MikroORM): Promise<void> {
  await orm.connect();
  const check = await orm.checkConnection();
  if (!check.ok) throw check.error ?? new Error(check.reason);
}

/**
 * MikroORM's MySQL driver misreads MariaDB's column defaults when it introspects the schema, so
 * schema diffs (migration:check, migration:create) never come out empty: say so at start-up.
 */
async function isMariaDbThroughMySqlDriver(orm: MikroORM): Promise<boolean> {
  const platform = orm.config.getPlatform().constructor.name;
  if (platform !== 'MySqlPlatform') return false;
  const [row] = await orm.em.getConnection().execute<{ v: string }[]>('select version() as v');
  return /mariadb/i.test(String(row?.v));
}

/** A database's failure as a DatabaseConnectionError whose message uses `template` (secrets redacted). */
export function wrap(
  error: unknown,
  config: ResolvedDatabase,
  template: (key: string, url: string, reason: string) => string,
): MultiDbError {
  if (error instanceof MultiDbError) return error;
  const reason = redact(errorMessage(error), config.secrets);
  // the driver's error (it carries no password) says whether the database is unavailable or misconfigured
  return new DatabaseConnectionError(template(config.key, config.maskedUrl, reason), { key: config.key, cause: error });
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map((e: unknown) => errorMessage(e)).join('; ');
  }
  return error instanceof Error ? error.message || error.name : String(error);
}
