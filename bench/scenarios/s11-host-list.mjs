/**
 * Scenario 11 — what a host list costs in the steady state.
 *
 * Two applications on the run's PostgreSQL server, reading the same table: A's URL is a host list
 * with read-write targeting (`postgresql://…@127.0.0.1:P,127.0.0.1:1/db?targetSessionAttrs=read-write`;
 * the second host is never reached while the first answers), B's is the plain single-host URL. A
 * host list works when a connection is opened (a role check per new physical connection, and a
 * checkout that opens one may move on to the next host); a query on an open pooled connection
 * should cost the same. Ops one after another, one request context per op, interleaved turns.
 */
import { PG_DATABASES, pgUrl } from '../lib/config.mjs';
import { idAt, itemRows, itemSchema } from '../lib/entities.mjs';
import { alternateOps, atLeast, compareRow, msPerOp, opCounts, progress } from '../lib/harness.mjs';
import { multiDbContext } from '../lib/nest.mjs';

export const title = 'Host list (failover) vs a single host, steady state';

/** @param {import('../lib/config.mjs').BenchConfig} config */
export async function run(config) {
  const base = {
    id: '11',
    title,
    command: 'node bench/run.mjs --only 11',
    description:
      'findOne by primary key in db.runInContext() on PostgreSQL: A = a two-host URL with targetSessionAttrs=read-write ' +
      '(the first host answers), B = the same database through a single-host URL. Interleaved rounds.',
  };
  if (!config.pg) return { ...base, rows: [], notes: [`skipped: ${config.pgUnavailable ?? 'no PostgreSQL server'}.`] };

  const sizes = config.smoke
    ? { rows: 50, rounds: 2, warmup: 1, roundMs: 20, blockMs: 2 }
    : { rows: 1000, rounds: 22, warmup: 3, roundMs: 150, blockMs: 2 };
  const url = pgUrl(config, PG_DATABASES.hostList);
  const port = new URL(url).port;
  const listUrl = `${url.replace(`:${port}/`, `:${port},127.0.0.1:1/`)}?targetSessionAttrs=read-write`;
  const itemA = itemSchema();
  const itemB = itemSchema();
  const a = await multiDbContext({ databases: { default: listUrl }, entities: [itemA] });
  const b = await multiDbContext({ databases: { default: url }, entities: [itemB] });
  try {
    await b.db.createAll();
    await b.db.runInContext(async () => {
      await b.db.em().nativeDelete(itemB, {});
      await b.db.em().insertMany(itemB, itemRows(sizes.rows));
    });
    const read = (/** @type {typeof a.db} */ db, /** @type {object} */ item) => (/** @type {number} */ i) =>
      db.runInContext(() => db.getRepository(item).findOne({ id: idAt(i, sizes.rows) }));
    const sides = { A: read(a.db, itemA), B: read(b.db, itemB) };
    for (const op of Object.values(sides)) {
      const row = /** @type {any} */ (await op(0));
      if (row?.id !== idAt(0, sizes.rows)) throw new Error('host list: unexpected result');
    }
    const { opsPerRound, block } = opCounts(await msPerOp(sides.B), sizes);
    const samples = await alternateOps(sides, {
      rounds: sizes.rounds,
      warmup: sizes.warmup,
      opsPerRound,
      block,
      label: '11 host list',
    });
    progress('11: done');
    return {
      ...base,
      rows: [
        compareRow({
          scenario: '11',
          name: 'PostgreSQL: findOne, host list vs single host',
          workload: 'findOne by primary key, one request context per op, ops one after another',
          sizes: `${sizes.rows} rows; ${sizes.rounds} rounds × ${opsPerRound} ops per side, turns of ${block}`,
          unit: 'ops/s',
          a: { label: 'host list (2 hosts, read-write)', samples: samples.A },
          b: { label: 'single host', samples: samples.B },
          ratioDefinition: 'ops/s(host list) / ops/s(single host)',
          goal: atLeast(0.98),
        }),
      ],
    };
  } finally {
    await a.app.close();
    await b.app.close();
  }
}
