import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { MultiDbSetupOptions } from 'nestjs-multidb';
import { startPostgres, type ThrowawayServer } from 'nestjs-multidb/testing';
import { boot } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';
import { ledgerEntities } from '../fixtures/ledger.mjs';

// Needs the built package (npm run build): the children run dist/, as an installed app would.
const CHILD = fileURLToPath(new URL('../fixtures/two-phase-child.mjs', import.meta.url));
const STEPS = ['prepared-one', 'prepared-all', 'decision-logged', 'committed-one'] as const;
const RUNS_PER_STEP = 25;
/**
 * Transfers per child process (each its own transaction, all killed at the same step), and children
 * running at once. By default one process per transfer: 25 SIGKILLs per step (about a minute on 2
 * cores); CRASH_PER_CHILD=5 kills 5 processes per step holding 5 transfers each, for a quicker run.
 */
const PER_CHILD = Number(process.env.CRASH_PER_CHILD ?? 1);
const PARALLEL = 2;
const STEP_TIMEOUT = 120_000;

type Step = (typeof STEPS)[number];
interface Run {
  ref: string;
  amount: number;
}
interface Tally {
  step: Step;
  runs: number;
  children: number;
  both: number;
  neither: number;
  partial: number;
}

// its own PostgreSQL: 25 in-doubt transactions at once exceed the shared server's max_prepared_transactions
let server: ThrowawayServer;
let pgOrm: MikroORM;
const pg = 'crash_main';
let maria: string;
let options: MultiDbSetupOptions;

function pgSql<T>(query: string): Promise<T[]> {
  return pgOrm.em.getConnection().execute(query) as Promise<T[]>;
}

/** Runs one child with some transfers; resolves with the signal that ended it. */
function runChild(crashAt: Step | 'none', transfers: Run[], keys = 'default,auth'): Promise<NodeJS.Signals | null> {
  const env = {
    ...process.env,
    DATABASES: JSON.stringify(options.databases),
    CRASH_AT: crashAt,
    TRANSFERS: JSON.stringify(transfers),
    KEYS: keys,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve(signal);
    });
  });
}

/**
 * Runs the transfers, PER_CHILD to a child process, children taking turns at which database
 * (PostgreSQL or MariaDB) comes first; returns how each child ended.
 */
async function runChildren(crashAt: (i: number) => Step, runs: Run[]): Promise<(NodeJS.Signals | null)[]> {
  const batches = Array.from({ length: Math.ceil(runs.length / PER_CHILD) }, (_, i) =>
    runs.slice(i * PER_CHILD, (i + 1) * PER_CHILD),
  );
  const signals: (NodeJS.Signals | null)[] = [];
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const i = next++;
      signals[i] = await runChild(crashAt(i), batches[i] as Run[], i % 2 === 0 ? 'default,auth' : 'auth,default');
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return signals;
}

/** Rows per ref, with their amounts, in both databases. */
async function ledger(prefix: string): Promise<Map<string, { debit?: number; credit?: number }>> {
  const [debits, credits] = await Promise.all([
    pgSql<{ ref: string; amount: number }>(`select ref, amount from debits where ref like '${prefix}%'`),
    runSql<{ ref: string; amount: number }>(
      'mariadb',
      maria,
      `select ref, amount from credits where ref like '${prefix}%'`,
    ),
  ]);
  const out = new Map<string, { debit?: number; credit?: number }>();
  for (const d of debits) out.set(d.ref, { ...out.get(d.ref), debit: Number(d.amount) });
  for (const c of credits) out.set(c.ref, { ...out.get(c.ref), credit: Number(c.amount) });
  return out;
}

/** This coordinator's in-doubt transactions on both servers. */
async function inDoubt(): Promise<string[]> {
  const tag = createHash('sha256').update(`${pg}/multidb_transactions`).digest('hex').slice(0, 8);
  const prefix = `multidb.${tag}.`;
  const pgRows = await pgSql<{ gid: string }>(
    `select gid from pg_prepared_xacts where database = current_database() and gid like '${prefix}%'`,
  );
  const xa = await runSql<{ data: string; gtrid_length: number }>('mariadb', maria, 'xa recover');
  const xaIds = xa
    .map((x) => String(x.data))
    .filter((d) => d.startsWith(prefix))
    .map((d) => d.replace(/^(multidb\.[0-9a-f]+\.\d+)/, '$1.'));
  return [...pgRows.map((r) => r.gid), ...xaIds].sort();
}

const varied = (prefix: string, n: number): Run[] =>
  Array.from({ length: n }, (_, i) => ({ ref: `${prefix}-${i}-${(i * 7919) % 1000}`, amount: 1 + ((i * 37) % 997) }));

describe('two-phase commit survives SIGKILL at every step (PostgreSQL + MariaDB)', () => {
  const tallies: Tally[] = [];

  beforeAll(async () => {
    [server, maria] = await Promise.all([
      startPostgres({ maxPreparedTransactions: 64 }),
      createDatabase('mariadb', 'crash_auth'),
    ]);
    options = {
      // each transfer holds a coordinator session besides its participants' ones
      databases: { default: { url: server.url(pg), pool: { max: 20 } }, auth: serverUrl('mariadb', maria, 'mariadb') },
      entities: ledgerEntities,
    };
    const { app, db } = await boot(options);
    await db.createAll(); // the PostgreSQL database itself is created at start-up (ensureDatabase)
    await app.close();
    pgOrm = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: server.url(pg),
      entities: [],
      discovery: { warnWhenNoEntities: false },
    });
    // one finished transfer creates the coordinator log, as any first two-phase transaction does
    expect(await runChild('none', [{ ref: 'warm-up', amount: 1 }])).toBeNull();
  });

  afterAll(async () => {
    await pgOrm?.close(true);
    await server?.destroy();
    console.log(
      'crash runs per step:\n' +
        tallies
          .map(
            (t) =>
              `  ${t.step}: ${t.runs} runs in ${t.children} killed children, both ${t.both}, neither ${t.neither}, partial ${t.partial}`,
          )
          .join('\n'),
    );
  });

  it.each(STEPS)(
    'killed after %s: a fresh app recovers to both rows or neither',
    async (step) => {
      const runs = varied(step, RUNS_PER_STEP);
      const signals = await runChildren(() => step, runs);
      expect(signals).toHaveLength(RUNS_PER_STEP / PER_CHILD);
      expect(signals.every((s) => s === 'SIGKILL')).toBe(true);

      const before = await ledger(step);
      // the crash really left what the step says: prepared branches in doubt, and after the first
      // commit, one database committed and the other in doubt
      const prepared = step === 'prepared-all' || step === 'decision-logged' ? 2 : 1;
      expect(await inDoubt()).toHaveLength(prepared * RUNS_PER_STEP);
      const halfDone = [...before.values()].filter((r) => (r.debit === undefined) !== (r.credit === undefined));
      expect(halfDone).toHaveLength(step === 'committed-one' ? RUNS_PER_STEP : 0);

      const fresh = await boot(options); // recovers at start-up
      await fresh.app.close();

      const after = await ledger(step);
      const tally: Tally = { step, runs: runs.length, children: signals.length, both: 0, neither: 0, partial: 0 };
      for (const run of runs) {
        const row = after.get(run.ref);
        if (row?.debit === -run.amount && row.credit === run.amount) tally.both++;
        else if (row === undefined) tally.neither++;
        else tally.partial++;
      }
      tallies.push(tally);
      expect(tally.partial).toBe(0);
      // the decision decides: before it is logged nothing commits, after it everything does
      const committed = step === 'decision-logged' || step === 'committed-one';
      expect(committed ? tally.both : tally.neither).toBe(RUNS_PER_STEP);
      expect(await inDoubt()).toEqual([]);
      expect(await pgSql('select id from multidb_transactions')).toEqual([]);
    },
    STEP_TIMEOUT,
  );

  it(
    'two instances recovering at once resolve each in-doubt transaction exactly once',
    async () => {
      const runs = varied('pair', 2 * PER_CHILD);
      // the first child dies before the decision, the second after it
      const crashAt = (child: number): Step => (child === 0 ? 'prepared-all' : 'decision-logged');
      await runChildren(crashAt, runs);
      const expected = await inDoubt();
      expect(expected).toHaveLength(4 * PER_CHILD);

      const recoverOff = { ...options, transactions: { recoverOnStart: false } };
      const [a, b] = await Promise.all([boot(recoverOff), boot(recoverOff)]);
      try {
        const reports = await Promise.all([a.db.recoverTransactions(), b.db.recoverTransactions()]);
        const resolved = reports.flatMap((r) => [...r.committed, ...r.rolledBack]).sort();
        expect(resolved).toEqual(expected);
        expect(await inDoubt()).toEqual([]);
      } finally {
        await Promise.all([a.app.close(), b.app.close()]);
      }
      const after = await ledger('pair');
      runs.forEach((run, i) => {
        const committed = i >= PER_CHILD;
        expect(after.get(run.ref)).toEqual(committed ? { debit: -run.amount, credit: run.amount } : undefined);
      });
    },
    STEP_TIMEOUT,
  );
});
