import type { Registry } from 'prom-client';

/** Options of `registerMultiDbMetrics` and `MultiDbMetricsModule.forRoot` / `forRootAsync`. */
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

/** What `MultiDbMetricsModule.forRoot` / `forRootAsync` take besides the options (known when the module is defined). */
export interface MultiDbMetricsExtras {
  /**
   * Serves the registry's metrics (Prometheus text format) with GET at this path, e.g. `'metrics'`;
   * `false` serves nothing (inject `MultiDbMetrics` and serve `metrics()` yourself).
   * @default false
   */
  path?: string | false;
}

/** What `MultiDbMetricsModule.forRoot` takes. */
export type MultiDbMetricsModuleOptions = MultiDbMetricsOptions & MultiDbMetricsExtras;
