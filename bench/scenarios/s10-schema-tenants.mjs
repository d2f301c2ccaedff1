/**
 * Scenario 10 — schema-mode tenants (one ORM and one pool for every tenant) at SaaS scale.
 *
 * (a) Per-request cost: three applications in one process on one PostgreSQL database, each a
 * schema-mode template: 10,000 tenants attached with requests spread over the tenants whose schema
 * exists (every request switches the connection's search_path), 10,000 attached with every request
 * on one tenant, and 1 tenant. A request is db.runForTenant(t, () => getRepository(Item).findOne).
 * Measured as this process's CPU (user + system) per request, in interleaved rounds of the same
 * request count; the PostgreSQL server shares the cores, so client CPU is the stable measure.
 * (b) RSS: fresh processes, 10,000 tenants attached and 1,000 of them touched (one request each)
 * against 10 attached and touched (100 requests each: both sides serve 1,000 requests), after a full GC.
 */
import { fileURLToPath } from 'node:url';
import { idAt, itemRows, itemSchema } from '../lib/entities.mjs';
import { atMost, compareRow, gc, interleave, progress, runScenarioInChild } from '../lib/harness.mjs';
import { pgUrl } from '../lib/config.mjs';
import { multiDbContext } from '../lib/nest.mjs';

export const title = 'Schema-mode tenants: 10,000 tenants on one pool';
const MiB = 2 ** 20;

/** @param {import('../lib/config.mjs').BenchConfig & { measure?: { attached: number, touched: number } }} config */
export async function run(config) {
  if (!config.pg) {
    const notes = [`skipped: ${config.pgUnavailable ?? 'no PostgreSQL server'}.`];
    return { id: '10', title, command: 'node bench/run.mjs --only 10', description: title, rows: [], notes };
  }
  if (config.measure) return measure(config, config.measure);
  const sizes = config.smoke
    ? { attached: 50, created: 10, rows: 20, rounds: 2, warmup: 1, perRound: 20, reps: 1 }
    : { attached: 10000, created: 1000, rows: 20, rounds: 20, warmup: 3, perRound: 400, reps: 3 };
  const apps = [];
  try {
    const many = await schemaApp(config, 'bench_schema_many', sizes.attached, sizes.created, sizes.rows);
    const one = await schemaApp(config, 'bench_schema_one', 1, 1, sizes.rows);
    apps.push(many.app, one.app);
    const request = (/** @type {any} */ s, /** @type {string} */ tenant, /** @type {number} */ i) =>
      s.db.runForTenant(tenant, () => s.db.getRepository(s.item).findOne({ id: idAt(i, sizes.rows) }));
    const cpuPerRequest = (/** @type {(i: number) => Promise<unknown>} */ op) => async () => {
      const begin = process.cpuUsage();
      for (let i = 0; i < sizes.perRound; i++) await op(i);
      const used = process.cpuUsage(begin);
      return (used.user + used.system) / sizes.perRound; // µs of CPU per request
    };
    const spread = (/** @type {number} */ i) => request(many, many.tenants[i % many.tenants.length], i);
    if ((await spread(1))?.id !== idAt(1, sizes.rows)) throw new Error('10: unexpected result');
    const samples = await interleave(
      {
        spread: cpuPerRequest(spread),
        sameTenant: cpuPerRequest((i) => request(many, many.tenants[0], i)),
        single: cpuPerRequest((i) => request(one, one.tenants[0], i)),
      },
      { rounds: sizes.rounds, warmup: sizes.warmup, label: '10 CPU µs/request' },
    );
    const row = (/** @type {'spread' | 'sameTenant'} */ side, /** @type {string} */ name, goal) =>
      compareRow({
        scenario: '10',
        name,
        workload: 'runForTenant + getRepository(Item).findOne by primary key (PostgreSQL, schema mode)',
        sizes: `${sizes.attached} tenants attached, ${side === 'spread' ? `requests over ${sizes.created} schemas` : 'requests on 1 tenant'}; ${sizes.rounds} rounds × ${sizes.perRound} requests`,
        unit: 'CPU µs/request',
        a: { label: `${sizes.attached} tenants`, samples: samples[side] },
        b: { label: '1 tenant', samples: samples.single },
        ratioDefinition: `cost(${sizes.attached}) / cost(1)`,
        goal,
      });
    const rows = [
      row('sameTenant', `${sizes.attached} tenants attached, one tenant requested`, atMost(1.05)),
      row('spread', `${sizes.attached} tenants attached, requests spread over ${sizes.created} schemas`, null),
    ];

    // (b) RSS, fresh processes, interleaved
    const file = fileURLToPath(import.meta.url);
    const rss = { big: /** @type {number[]} */ ([]), small: /** @type {number[]} */ ([]) };
    const heap = { big: /** @type {number[]} */ ([]), small: /** @type {number[]} */ ([]) };
    for (let rep = 0; rep < sizes.reps; rep++) {
      for (const side of rep % 2 === 0 ? ['big', 'small'] : ['small', 'big']) {
        const measureSizes =
          side === 'big' ? { attached: sizes.attached, touched: sizes.created } : { attached: 10, touched: 10 };
        const usage = await runScenarioInChild(file, config, { measure: measureSizes }, `10 rss ${side}`);
        rss[/** @type {'big' | 'small'} */ (side)].push(usage.rss / MiB);
        heap[/** @type {'big' | 'small'} */ (side)].push(usage.heapUsed / MiB);
      }
      progress(
        `10 rss MiB, repetition ${rep + 1}/${sizes.reps}: big=${rss.big[rep]?.toFixed(1)} small=${rss.small[rep]?.toFixed(1)}`,
      );
    }
    rows.push(
      compareRow({
        scenario: '10',
        name: `RSS, ${sizes.attached} tenants attached and ${sizes.created} touched`,
        workload:
          'RSS after start-up, attaching, then 1,000 requests over the touched tenants, after a full GC, fresh process',
        sizes: `${sizes.reps} processes per side`,
        unit: 'MiB',
        a: { label: `${sizes.attached}/${sizes.created}`, samples: rss.big },
        b: { label: '10/10', samples: rss.small },
        ratioDefinition: `RSS(${sizes.attached} attached, ${sizes.created} touched) / RSS(10, 10)`,
        goal: atMost(1.2),
        note: `heap used after the GC: ${median(heap.big).toFixed(1)} MiB vs ${median(heap.small).toFixed(1)} MiB (what stays; the rest of the RSS is V8 heap kept after the touch loop's garbage)`,
      }),
    );
    progress('10: done');
    return {
      id: '10',
      title,
      command: 'node bench/run.mjs --only 10',
      description:
        'Schema-mode tenants (tenants: { mode: "schema" }): one MikroORM and one pool for every tenant. (a) CPU per ' +
        'request of db.runForTenant(t, () => getRepository(Item).findOne) with 10,000 tenants attached (requests on ' +
        'one tenant, and spread over 1,000 schemas: each switches the connection search_path) against 1 tenant, ' +
        'interleaved rounds in one process. (b) RSS of fresh processes with 10,000 tenants attached and 1,000 touched ' +
        'against 10 and 10.',
      rows,
    };
  } finally {
    for (const app of apps) await app.close();
  }
}

/**
 * A schema-mode app on its own database: `attached` tenants, the first `created` with a schema and
 * rows. One tenant is created by `db.tenants.create`; the others are copied from it in bulk SQL
 * (provisioning is not what this measures, and MikroORM's per-schema introspection grows with the
 * schema count).
 */
async function schemaApp(config, database, attached, created, rows) {
  const item = itemSchema({ database: 'tenant' });
  const tenants = Array.from({ length: attached }, (_, i) => `t${i}`);
  // a plain key on the same database: creates it when missing, and runs the bulk DDL
  const admin = await multiDbContext({ databases: { default: pgUrl(config, database) } });
  const { app, db } = await multiDbContext({
    databases: {
      default: 'sqlite://',
      tenant: { url: pgUrl(config, database), pool: { max: 4 }, tenants: { mode: 'schema', list: () => tenants } },
    },
    entities: [item],
  });
  const live = tenants.slice(0, created);
  try {
    if (live.length > 0) {
      await db.tenants.create('t0');
      await db.runForTenant('t0', () => db.em('tenant').nativeDelete(item, {}));
      await db.runForTenant('t0', () => db.em('tenant').insertMany(item, itemRows(rows)));
      const sql = (/** @type {string} */ t) =>
        `create schema if not exists tenant_${t}; create table if not exists tenant_${t}.items (like tenant_t0.items including all); ` +
        `insert into tenant_${t}.items select * from tenant_t0.items on conflict do nothing;`;
      for (let i = 1; i < live.length; i += 50) {
        await admin.db
          .em()
          .getConnection()
          .execute(
            live
              .slice(i, i + 50)
              .map(sql)
              .join('\n'),
          );
      }
    }
  } finally {
    await admin.app.close();
  }
  return { app, db, item, tenants: live };
}

/**
 * One fresh process: attach, 1,000 requests (smoke: 10) spread over the touched tenants (their
 * schemas exist), GC, report memory. Both sides serve as many requests: only the tenant counts differ.
 */
async function measure(config, { attached, touched }) {
  const s = await schemaApp(config, 'bench_schema_many', attached, 0, 0);
  const requests = config.smoke ? 10 : 1000;
  try {
    for (let i = 0; i < requests; i += 4) {
      await Promise.all(
        Array.from({ length: Math.min(4, requests - i) }, (_, k) =>
          s.db.runForTenant(`t${(i + k) % touched}`, () => s.db.getRepository(s.item).findOne({ id: 1 })),
        ),
      );
    }
    gc();
    return process.memoryUsage();
  } finally {
    await s.app.close();
  }
}

/** @param {number[]} xs */
function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
