/**
 * nestjs-multidb/testing — fast, isolated tests over several databases. Production code never
 * loads this entry point.
 * @module nestjs-multidb/testing
 */
export { applySwaps, type DatabaseSwaps, type SwapOptions, swapDatabases } from './swap-databases.js';
export { type RollbackHooks, rollbackEachTest, rollbackHooks, type TestHooks } from './rollback.js';
export { seed, truncateAll } from './data.js';
export { MissingServerBinaryError } from './process-tools.js';
export type { ThrowawayServer } from './server-process.js';
export { type PostgresOptions, startPostgres } from './postgres-server.js';
export { startMariaDb } from './mariadb-server.js';
export { startPostgresReplica } from './replica.js';
export { type GaleraCluster, type GaleraOptions, startGaleraCluster } from './galera-cluster.js';
