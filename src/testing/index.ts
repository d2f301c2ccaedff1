/**
 * nestjs-multidb/testing — fast, isolated tests over several databases. Production code never
 * loads this entry point.
 */
export { applySwaps, type DatabaseSwaps, type SwapOptions, swapDatabases } from './swap-databases.js';
export { type RollbackHooks, rollbackEachTest, rollbackHooks, type TestHooks } from './rollback.js';
export { seed, truncateAll } from './data.js';
export {
  MissingServerBinaryError,
  type PostgresOptions,
  startMariaDb,
  startPostgres,
  type ThrowawayServer,
} from './servers.js';
export { startPostgresReplica } from './replica.js';
