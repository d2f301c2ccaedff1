import { EntitySchema } from '@mikro-orm/core';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseConnectionError, type DbService } from 'nestjs-multidb';
import { isUnavailable } from '../../src/errors/unavailable.js';
import { startPostgres, startPostgresReplica, type ThrowawayServer } from 'nestjs-multidb/testing';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';
import { killTree } from '../fixtures/failover.js';

interface Entry {
  id: number;
  ref: string;
}
const Debit = new EntitySchema<Entry>({
  name: 'Debit',
  tableName: 'debits',
  properties: { id: { type: 'number', primary: true, autoincrement: true }, ref: { type: 'string' } },
});
const Credit = new EntitySchema<Entry>({
  name: 'Credit',
  tableName: 'credits',
  properties: { id: { type: 'number', primary: true, autoincrement: true }, ref: { type: 'string' } },
});
Object.assign(Credit.meta.class, { __database__: 'ledger' });

/** Teardown steps, run in reverse after each test. */
const cleanup: (() => Promise<void>)[] = [];

/**
 * A primary with a synchronous standby, and an app whose `default` lists both (read-write); `ledger`
 * and the coordinator log elsewhere. Each piece is registered for teardown as soon as it exists.
 */
async function cluster(): Promise<{
  primary: ThrowawayServer;
  standby: ThrowawayServer;
  booted: Booted;
  ledger: string;
}> {
  const primary = await startPostgres();
  cleanup.push(() => primary.destroy());
  await primary.createDatabase('app');
  const standby = await startPostgresReplica(primary);
  cleanup.push(() => standby.destroy());
  await primary.query("alter system set synchronous_standby_names = '*'");
  await primary.query('select pg_reload_conf()');
  await primary.query('alter database app set synchronous_commit = on');
  const ledger = await createDatabase('postgres', 'ha_ledger');
  const url = primary.url('app').replace(`:${primary.port}/`, `:${primary.port},127.0.0.1:${standby.port}/`);
  const booted = await boot({
    databases: { default: `${url}?targetSessionAttrs=read-write`, ledger: serverUrl('postgres', ledger) },
    entities: [Debit, Credit],
    transactions: { coordinator: 'ledger' },
  });
  cleanup.push(() => booted.app.close());
  await booted.db.createAll();
  return { primary, standby, booted, ledger };
}

const transfer = (db: DbService, ref: string, options: Parameters<DbService['transaction']>[2] = {}) =>
  db.transaction(
    ['default', 'ledger'],
    (ems) => {
      ems.default.create(Debit, { ref });
      ems.ledger.create(Credit, { ref });
    },
    { twoPhase: true, ...options },
  );

describe('two-phase transactions across a failover (issue #19)', () => {
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('a participant whose primary dies before PREPARE aborts cleanly; the next transaction commits on the promoted standby', async () => {
    const { primary, standby, booted, ledger } = await cluster();
    const error = await rejection(
      booted.db.transaction(
        ['default', 'ledger'],
        async (ems) => {
          ems.ledger.create(Credit, { ref: 'lost' });
          await ems.ledger.flush();
          killTree(primary.pid as number);
          ems.default.create(Debit, { ref: 'lost' });
        },
        { twoPhase: true },
      ),
    );
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(isUnavailable(error)).toBe(true);
    expect(error.message).toContain("Database 'default'");
    expect(error.message).toContain('was not retried');
    expect(error.message).not.toContain(primary.password);
    expect(await runSql('postgres', ledger, "select count(*)::int as n from credits where ref = 'lost'")).toEqual([
      { n: 0 },
    ]);
    expect(
      await runSql('postgres', ledger, 'select gid from pg_prepared_xacts where database = current_database()'),
    ).toEqual([]);

    await standby.query('select pg_promote(true, 30)');
    await transfer(booted.db, 'after');
    expect(await standby.query("select count(*) from debits where ref = 'after'", 'app')).toBe('1');
    expect(await standby.query("select count(*) from debits where ref = 'lost'", 'app')).toBe('0');
  }, 60_000);

  it('a primary that dies after the commit decision: recovery finds its prepared transaction on the promoted standby and commits it', async () => {
    const { primary, standby, booted, ledger } = await cluster();
    const error = await rejection(
      transfer(booted.db, 'in-doubt', {
        onStep: (step) => {
          if (step === 'decision-logged') killTree(primary.pid as number);
        },
      }),
    );
    expect(error.message).toContain("'default'");
    await standby.query('select pg_promote(true, 30)');
    // PREPARE TRANSACTION was in the WAL the standby received (synchronously): the promoted server has it
    expect(await standby.query('select count(*) from pg_prepared_xacts', 'app')).toBe('1');
    const report = await booted.db.recoverTransactions();
    expect(report.committed.length).toBeGreaterThanOrEqual(1);
    expect(await standby.query('select count(*) from pg_prepared_xacts', 'app')).toBe('0');
    expect(await standby.query("select count(*) from debits where ref = 'in-doubt'", 'app')).toBe('1');
    expect(await runSql('postgres', ledger, "select count(*)::int as n from credits where ref = 'in-doubt'")).toEqual([
      { n: 1 },
    ]);
  }, 60_000);
});
