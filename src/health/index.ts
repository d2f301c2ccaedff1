/**
 * nestjs-multidb/health: a `@nestjs/terminus` indicator over every database, and the ping it uses.
 * @module nestjs-multidb/health
 */
export { MultiDbHealthIndicator } from './multi-db.health.js';
export { pingDatabase, type PingOptions, type PingResult } from './ping.js';
