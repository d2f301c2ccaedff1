/**
 * Scenario 8 — what two-phase commit costs a cross-database transaction.
 *
 * One application with two PostgreSQL databases (`default` and `ledger`) on the run's server. A
 * transfer is db.transaction(['default', 'ledger'], …) inserting one row in each database: A with
 * `twoPhase: true` (BEGIN, INSERT, PREPARE TRANSACTION per database, the coordinator log row and its
 * lock, COMMIT PREPARED per database), B without (BEGIN, INSERT, COMMIT per database, one after
 * another). Same work, interleaved turns within each round.
 */
import { PG_DATABASES, pgUrl } from '../lib/config.mjs';
import { itemSchema } from '../lib/entities.mjs';
import { alternateOps, compareRow, msPerOp, opCounts, progress } from '../lib/harness.mjs';
import { multiDbContext } from '../lib/nest.mjs';

export const title = 'Cross-database transaction: two-phase vs one commit after another';

/** @param {import('../lib/config.mjs').BenchConfig} config */
export async function run(config) {
  const base = {
    id: '8',
    title,
    command: 'node bench/run.mjs --only 8',
    description:
      "db.transaction(['default', 'ledger'], …) inserting one row into each of two PostgreSQL databases on one " +
      'server: A = twoPhase: true (PREPARE TRANSACTION in both, the commit decision logged in `default`, COMMIT ' +
      'PREPARED in both), B = the same transfer committed one database after the other. Interleaved rounds, the sides ' +
      'taking turns every few transfers.',
  };
  if (!config.pg) return { ...base, rows: [], notes: [`skipped: ${config.pgUnavailable ?? 'no PostgreSQL server'}.`] };

  const sizes = config.smoke
    ? { rounds: 2, warmup: 1, roundMs: 40, blockMs: 4 }
    : { rounds: 20, warmup: 3, roundMs: 300, blockMs: 10 };
  const debit = itemSchema({ name: 'Debit', tableName: 'debits' });
  const credit = itemSchema({ name: 'Credit', tableName: 'credits', database: 'ledger' });
  const { app, db } = await multiDbContext({
    databases: {
      default: pgUrl(config, PG_DATABASES.transactionsA),
      ledger: pgUrl(config, PG_DATABASES.transactionsB),
    },
    entities: [debit, credit],
  });
  try {
    await db.createAll();
    let n = 0;
    const transfer = (/** @type {boolean} */ twoPhase) => () => {
      const i = n++;
      const row = { sku: `T-${i}`, title: `transfer ${i}`, price: (i % 1000) + 1, createdAt: new Date() };
      return db.transaction(
        ['default', 'ledger'],
        (ems) => {
          ems.default.create(debit, row);
          ems.ledger.create(credit, row);
        },
        { twoPhase },
      );
    };
    const sides = { twoPhase: transfer(true), plain: transfer(false) };
    await sides.twoPhase(); // creates the coordinator log
    const { opsPerRound, block } = opCounts(await msPerOp(sides.plain), sizes);
    const perSecond = await alternateOps(sides, {
      rounds: sizes.rounds,
      warmup: sizes.warmup,
      opsPerRound,
      block,
      label: '8 transfers/s',
    });
    const samples = Object.fromEntries(Object.entries(perSecond).map(([k, xs]) => [k, xs.map((x) => 1e6 / x)]));
    progress('8: done');
    return {
      ...base,
      rows: [
        compareRow({
          scenario: '8',
          name: 'transfer over two PostgreSQL databases',
          workload: 'db.transaction over 2 keys, one INSERT each; twoPhase vs plain',
          sizes: `${sizes.rounds} rounds × ${opsPerRound} transfers per side, turns of ${block}`,
          unit: 'µs/transfer',
          a: { label: 'twoPhase', samples: samples.twoPhase },
          b: { label: 'plain', samples: samples.plain },
          ratioDefinition: 'cost(twoPhase) / cost(plain)',
          goal: null,
        }),
      ],
    };
  } finally {
    await app.close();
  }
}
