import type { Registry } from 'prom-client';
import type { DbService } from '../db.service.js';
import { messages } from '../errors/messages.js';
import { MetricsSetupError } from '../errors/multi-db.error.js';
import type { DatabaseStats } from '../orm/database-stats.js';
import type { PoolStats } from '../orm/pool-stats.js';
import type { TenantStats } from '../tenants/tenant-registry.js';
import type { MultiDbMetricsOptions } from './metrics.options.js';
import { loadPromClient, type PromClientModule } from './prom-client.js';

/** The metrics registered for one DbService; `unregister()` takes them out of the registry again. */
export interface MultiDbMetricsHandle {
  /** The prom-client registry the metrics are in. */
  readonly registry: Registry;
  /** The names of the metrics registered. */
  readonly names: readonly string[];
  /** Takes the metrics out of the registry. */
  unregister(): void;
}

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
}

/** A metric: its name (without prefix), help, kind, label names and how to read its samples from the stats. */
interface Definition {
  name: string;
  help: string;
  kind: 'gauge' | 'counter';
  labels: string[];
  read: (stats: Record<string, DatabaseStats>) => Sample[];
}

/**
 * Every pool of every key: the primary (`pool="primary"`), replicas (`pool="replica1"`…) and the
 * two-phase coordinator log's own (`pool="coordinator"`).
 */
function pools(stats: Record<string, DatabaseStats>, read: (pool: PoolStats) => number): Sample[] {
  return Object.values(stats).flatMap(({ key, pool, replicas = [], coordinator }) => [
    { labels: { key, pool: 'primary' }, value: read(pool) },
    ...replicas.map((replica, i) => ({ labels: { key, pool: `replica${i + 1}` }, value: read(replica) })),
    ...(coordinator ? [{ labels: { key, pool: 'coordinator' }, value: read(coordinator) }] : []),
  ]);
}

function tenants(stats: Record<string, DatabaseStats>, read: (tenants: TenantStats) => number): Sample[] {
  return Object.values(stats).flatMap(({ key, tenants }) =>
    tenants ? [{ labels: { template: key, mode: tenants.mode }, value: read(tenants) }] : [],
  );
}

const poolMetric = (
  name: string,
  help: string,
  read: (pool: PoolStats) => number,
  kind: Definition['kind'] = 'gauge',
) => ({ name, help, kind, labels: ['key', 'pool'], read: (stats) => pools(stats, read) }) satisfies Definition;
const tenantMetric = (
  name: string,
  help: string,
  read: (t: TenantStats) => number,
  kind: Definition['kind'] = 'gauge',
) => ({ name, help, kind, labels: ['template', 'mode'], read: (stats) => tenants(stats, read) }) satisfies Definition;

const DEFINITIONS: Definition[] = [
  poolMetric('pool_max', 'Most connections the pool opens (pool.max).', (p) => p.max),
  poolMetric('pool_min', 'Connections the pool keeps open when idle (pool.min).', (p) => p.min),
  poolMetric('pool_connections', 'Connections the pool holds now, in use or idle.', (p) => p.total),
  poolMetric('pool_in_use', 'Connections checked out now (queries in flight, open transactions).', (p) => p.inUse),
  poolMetric('pool_idle', 'Open connections idle in the pool.', (p) => p.idle),
  poolMetric('pool_waiting', 'Queries waiting for a connection now (the pool is exhausted).', (p) => p.waiting),
  poolMetric(
    'pool_acquire_timeouts_total',
    'Waits for a connection that gave up after acquireTimeout (PoolTimeoutError).',
    (p) => p.acquireTimeouts,
    'counter',
  ),
  tenantMetric('tenants_attached', 'Tenants attached to the template.', (t) => t.attached),
  tenantMetric('tenants_open', 'Tenant databases open now (holding one of maxOpen places).', (t) => t.open),
  tenantMetric('tenants_in_use', 'Tenants a request is using now (their open database or schema).', (t) => t.inUse),
  tenantMetric('tenants_waiting', 'Tenants waiting for one of the maxOpen places.', (t) => t.waiting),
  tenantMetric('tenants_opened_total', 'Tenant databases opened.', (t) => t.opened, 'counter'),
  tenantMetric(
    'tenants_closed_total',
    'Tenant databases closed (evicted, detached, shutdown).',
    (t) => t.closed,
    'counter',
  ),
  tenantMetric(
    'tenants_evicted_total',
    'Tenant databases closed to make room (maxOpen reached).',
    (t) => t.evicted,
    'counter',
  ),
];

/**
 * Registers nestjs-multidb's pool, tenant and two-phase metrics for `db` in a prom-client registry.
 * Every value is read from `db.stats()` when the registry is scraped (prom-client's `collect`):
 * nothing is counted per query. Loads `prom-client` (an optional peer) on demand.
 */
export async function registerMultiDbMetrics(
  db: DbService,
  options: MultiDbMetricsOptions = {},
  client?: PromClientModule,
): Promise<MultiDbMetricsHandle> {
  const prom = client ?? (await loadPromClient());
  const registry = options.registry ?? prom.register;
  const prefix = options.prefix ?? 'multidb_';
  const names = [...DEFINITIONS.map((d) => d.name), ...(options.inDoubt === false ? [] : ['two_phase_in_doubt'])].map(
    (name) => `${prefix}${name}`,
  );
  const taken = names.find((name) => registry.getSingleMetric(name) !== undefined);
  if (taken) throw new MetricsSetupError(messages.metricsAlreadyRegistered(taken));

  // one db.stats() per scrape: prom-client starts every collect of a scrape in one synchronous loop
  let cached: Record<string, DatabaseStats> | undefined;
  const stats = () => {
    if (!cached) {
      cached = db.stats();
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };
  const fill = (metric: { reset(): void }, samples: Sample[], set: (labels: Labels, value: number) => void) => {
    metric.reset();
    for (const { labels, value } of samples) set(labels, value);
  };
  for (const d of DEFINITIONS) {
    const base = { name: `${prefix}${d.name}`, help: d.help, labelNames: d.labels, registers: [registry] };
    if (d.kind === 'gauge')
      new prom.Gauge({
        ...base,
        collect() {
          fill(this, d.read(stats()), (labels, value) => this.set(labels, value));
        },
      });
    else
      new prom.Counter({
        ...base,
        collect() {
          fill(this, d.read(stats()), (labels, value) => this.inc(labels, value));
        },
      });
  }
  if (options.inDoubt !== false)
    new prom.Gauge({
      name: `${prefix}two_phase_in_doubt`,
      help: 'Two-phase transactions prepared and not yet committed or rolled back, by database (see recoverTransactions).',
      labelNames: ['key'],
      registers: [registry],
      async collect() {
        const counts = await db.inDoubtTransactions();
        this.reset();
        for (const [key, value] of Object.entries(counts)) this.set({ key }, value);
      },
    });
  return {
    registry,
    names,
    unregister: () => {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
