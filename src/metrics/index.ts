/**
 * nestjs-multidb/metrics — Prometheus metrics of every database's pool, the tenant templates and
 * two-phase transactions in doubt, through prom-client (an optional peer).
 * @module nestjs-multidb/metrics
 */
export {
  MultiDbMetrics,
  type MultiDbMetricsAsyncOptions,
  MultiDbMetricsModule,
  type MultiDbMetricsRootOptions,
  MULTIDB_METRICS_OPTIONS,
} from './metrics.module.js';
export type { MultiDbMetricsExtras, MultiDbMetricsModuleOptions, MultiDbMetricsOptions } from './metrics.options.js';
export { type MultiDbMetricsHandle, registerMultiDbMetrics } from './register-metrics.js';
export { MetricsSetupError } from '../errors/multi-db.error.js';
