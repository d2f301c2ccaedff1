/**
 * nestjs-multidb: several databases in one NestJS application through MikroORM, one MikroORM per
 * database and every entity routed to the database its `static __database__` names.
 * {@link MultiDbModule} configures them, {@link DbService} reaches them.
 * @module nestjs-multidb
 */
export { MultiDbModule, MultiDbFeatureModule } from './multi-db.module.js';
export type { MultiDbSetupOptions, MultiDbSetupAsyncOptions } from './multi-db.module-definition.js';
export type { MultiDbOptionsFactory } from './multi-db.module-definition.js';
export type {
  ConnectionPolicy,
  DatabaseOptions,
  MikroOrmConfigDatabase,
  EntityLike,
  MigrationOptions,
  MikroOrmOptions,
  MultiDbModuleExtras,
  MultiDbModuleOptions,
  TenantDatabase,
  TenantResolver,
  TenantTemplateOptions,
} from './multi-db.options.js';
export type { TenantStats } from './tenants/tenant-registry.js';
export { TENANT_KEY_PATTERN } from './tenants/tenant-template.js';
export { DbService, type DatabaseInfo } from './db.service.js';
export {
  MultiDbTransactional,
  type MultiDbTransactionalOptions,
} from './transactions/multi-db-transactional.decorator.js';
export type {
  RecoveryReport,
  TransactionEntityManagers,
  TransactionOptions,
  TransactionsOptions,
} from './transactions/transaction.options.js';
export {
  MigrationService,
  type CreatedMigration,
  type CreateMigrationOptions,
  type MigrationStatus,
} from './migrations/migration.service.js';
export { toMikroOrmConfigs } from './migrations/mikro-orm-config.js';
export { MultiDbMiddleware } from './context/multi-db.middleware.js';
export { DatabaseUnavailableFilter, databaseKeyOfError } from './errors/database-unavailable.filter.js';
export type { DatabaseUnavailableFilterOptions } from './errors/database-unavailable.filter.js';
export {
  getEntityManagerToken,
  getOrmToken,
  getRepositoryToken,
  InjectEntityManager,
  InjectOrm,
  InjectRepository,
} from './multi-db.tokens.js';
export { DATABASE_PROPERTY, databaseKeyOf, inDatabase } from './entities/database-key.js';
export { maskUrl } from './config/mask.js';
export { pingDatabase, type PingOptions, type PingResult } from './health/ping.js';
export { parseDatabaseUrl, type DriverName, type ParsedDatabaseUrl } from './config/database-url.js';
export { MULTIDB_MODULE_OPTIONS } from './multi-db.constants.js';
export {
  DatabaseConnectionError,
  DatabaseOperationError,
  type KeyOutcome,
  MigrationsNotInstalledError,
  DriverNotInstalledError,
  EntityDatabaseError,
  InvalidOptionsError,
  MalformedUrlError,
  MultiDbError,
  PoolTimeoutError,
  TransactionFailedError,
  TransactionRecoveryError,
  TransactionSetupError,
  UnknownDatabaseError,
  UnregisteredEntityError,
  UnsupportedSchemeError,
  TenantError,
  InvalidTenantKeyError,
  UnknownTenantError,
  NoTenantError,
  TenantClosedError,
} from './errors/multi-db.error.js';
export { TenantBusyError, TenantReleasedError } from './errors/multi-db.error.js';
export type { PoolOptions } from './multi-db.options.js';
export { UnknownOptionError } from './errors/config-errors.js';
export { DatabaseClosedError } from './errors/multi-db.error.js';
export { CliUsageError, ConfigFileError } from './errors/config-errors.js';
export { DatabaseMissingError } from './errors/multi-db.error.js';
// the types of public members (MultiDbModuleOptions.seederOptions, DbService.tenants), for the API reference
export type { SeederOptions } from './multi-db.options.js';
export type { SchemaTenantAdmin } from './tenants/schema-provisioning.js';
export type { DropTenantOptions } from './tenants/schema-provisioning.js';
export { ClassTokenMismatchError, RequestContextSetupError } from './errors/compat-errors.js';
export {
  CreateRequestContext,
  EnsureRequestContext,
  type DbServiceGetter,
  type RequestContextDecorator,
} from './compat/request-context.decorators.js';
export { NoUsableHostError } from './errors/multi-db.error.js';
export type { HostAddress, HostList, TargetSessionAttrs } from './config/host-list.js';
export type { DatabaseStats, TenantTemplateStats } from './orm/database-stats.js';
export type { PoolStats } from './orm/pool-stats.js';
export { MetricsSetupError } from './errors/multi-db.error.js';
