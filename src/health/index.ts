export { MultiDbHealthIndicator } from './multi-db.health.js';
export { pingDatabase, type PingOptions, type PingResult } from './ping.js';
