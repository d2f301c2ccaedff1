/**
 * Scenario 2 — what configured-but-untouched databases cost a request.
 *
 * Four applications in one process, with 1, 3, 10 and 30 in-memory SQLite databases (one small
 * entity each; 1,000 rows in `default`). A request is db.runInContext(() =>
 * db.getRepository(Item).findOne({ id })) on the default database. The four are measured in
 * interleaved rounds of the same op count (taking turns every few requests within a round); each
 * is compared with the 1-database app.
 */
import { idAt, itemRows, itemSchema } from '../lib/entities.mjs';
import { alternateOps, atMost, compareRow, msPerOp, opCounts, progress } from '../lib/harness.mjs';
import { multiDbContext } from '../lib/nest.mjs';

export const title = 'One request, many configured databases';
const COUNTS = [1, 3, 10, 30];

/** @param {import('../lib/config.mjs').BenchConfig} config */
export async function run(config) {
  const sizes = config.smoke
    ? { rows: 100, rounds: 2, warmup: 1, roundMs: 20, blockMs: 2 }
    : { rows: 1000, rounds: 30, warmup: 4, roundMs: 150, blockMs: 2 };

  const apps = [];
  try {
    for (const n of COUNTS) {
      const item = itemSchema();
      const databases = { default: 'sqlite://' };
      const entities = [item];
      for (let k = 1; k < n; k++) {
        databases[`db${k}`] = 'sqlite://';
        entities.push(itemSchema({ name: `Other${k}`, tableName: `other_${k}`, database: `db${k}` }));
      }
      const { app, db } = await multiDbContext({ databases, entities });
      await db.createAll();
      await db.runInContext(() => db.em().insertMany(item, itemRows(sizes.rows)));
      const request = (/** @type {number} */ i) =>
        db.runInContext(() => db.getRepository(item).findOne({ id: idAt(i, sizes.rows) }));
      const found = await request(0);
      if (found?.id !== idAt(0, sizes.rows)) throw new Error(`${n} databases: unexpected result`);
      apps.push({ n, app, request });
    }

    const { opsPerRound, block } = opCounts(await msPerOp(apps[0].request), sizes);
    const perSecond = await alternateOps(Object.fromEntries(apps.map((a) => [`${a.n}`, a.request])), {
      rounds: sizes.rounds,
      warmup: sizes.warmup,
      opsPerRound,
      block,
      label: '2 requests/s by database count',
    });
    /** µs per request, round by round */
    const samples = Object.fromEntries(Object.entries(perSecond).map(([n, xs]) => [n, xs.map((x) => 1e6 / x)]));

    const rows = apps.map(({ n }) =>
      compareRow({
        scenario: '2',
        name: `${n} database${n === 1 ? '' : 's'} configured`,
        workload: 'runInContext + getRepository(Item).findOne by primary key on `default` (in-memory SQLite)',
        sizes: `${n} key${n === 1 ? '' : 's'}; ${sizes.rows} rows; ${sizes.rounds} rounds × ${opsPerRound} requests, turns of ${block}`,
        unit: 'µs/request',
        a: { label: `${n} database${n === 1 ? '' : 's'}`, samples: samples[`${n}`] },
        b: { label: '1 database', samples: samples['1'] },
        ratioDefinition: `cost(${n}) / cost(1)`,
        goal: n === 30 ? atMost(1.05) : null,
      }),
    );
    progress('2: done');
    return {
      id: '2',
      title,
      command: 'node bench/run.mjs --only 2',
      description:
        'One request touching one database, with 1, 3, 10 and 30 in-memory SQLite databases configured ' +
        '(one entity each): db.runInContext(() => db.getRepository(Item).findOne({ id })) on `default`. ' +
        'All four applications live in one process and are measured in interleaved rounds (taking turns every few ' +
        'requests within a round); A = n databases, ' +
        'B = the same app with 1 database.',
      rows,
    };
  } finally {
    for (const { app } of apps) await app.close();
  }
}
