import type { Registry } from 'prom-client';

/** Options of `registerMultiDbMetrics` and `MultiDbMetricsModule.forRoot`. */
export interface MultiDbMetricsOptions {
  /**
   * The prom-client registry the metrics go to.
   * @default prom-client's global `register`
   */
  registry?: Registry;
  /**
   * Put before every metric name.
   * @default 'multidb_'
   */
  prefix?: string;
  /**
   * Whether to report the two-phase transactions in doubt (`<prefix>two_phase_in_doubt`), which asks
   * every PostgreSQL and MySQL/MariaDB database at each scrape (one short query each).
   * @default true
   */
  inDoubt?: boolean;
}

/** Options of `MultiDbMetricsModule.forRoot`. */
export interface MultiDbMetricsModuleOptions extends MultiDbMetricsOptions {
  /**
   * Serves the registry's metrics (Prometheus text format) at this path, e.g. `'metrics'`; `false`
   * serves nothing (inject `MultiDbMetrics` and serve `metrics()` yourself).
   * @default false
   */
  path?: string | false;
}
