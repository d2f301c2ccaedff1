/**
 * What run.mjs hands to every scenario (JSON in BENCH_CONFIG).
 * @typedef {{
 *   smoke: boolean,
 *   tmpDir: string,
 *   benchDir: string,
 *   pg: { urlTemplate: string } | null,
 *   pgUnavailable?: string,
 * }} BenchConfig
 */

/** A database on the run's throwaway PostgreSQL server (created by run.mjs). */
export const PG_DATABASES = {
  repository: 'bench_repository',
  http: 'bench_http',
  /** @param {number} i */
  startup: (i) => `bench_startup_${i}`,
  transactionsA: 'bench_tx_a',
  transactionsB: 'bench_tx_b',
  hostList: 'bench_host_list',
};

/**
 * @param {BenchConfig} config
 * @param {string} database
 */
export function pgUrl(config, database) {
  if (!config.pg) throw new Error('no PostgreSQL server in this run');
  return config.pg.urlTemplate.replace('__DATABASE__', encodeURIComponent(database));
}

/**
 * MikroORM connection options of a postgresql:// URL, for plain MikroORM (the sides that do not
 * go through nestjs-multidb's URL parsing).
 * @param {string} url
 */
export function pgOptions(url) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    dbName: decodeURIComponent(u.pathname.slice(1)),
  };
}
