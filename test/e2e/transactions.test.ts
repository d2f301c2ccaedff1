import { Injectable, Module } from '@nestjs/common';
import type { EntityRepository } from '@mikro-orm/core';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DbService,
  InjectRepository,
  MultiDbModule,
  MultiDbTransactional,
  TransactionFailedError,
  TransactionRecoveryError,
  TransactionSetupError,
} from 'nestjs-multidb';
import { startPostgres, type ThrowawayServer } from 'nestjs-multidb/testing';
import { type Booted, boot, bootWith, rejection } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';
import { Credit, Debit, ledgerEntities } from '../fixtures/ledger.mjs';

@Injectable()
class TransferService {
  constructor(
    @InjectRepository(Debit) private readonly debits: EntityRepository<Debit>,
    private readonly db: DbService,
  ) {}

  @MultiDbTransactional({ databases: ['default', 'auth'] })
  async plain(ref: string, amount: number, fail = false): Promise<void> {
    await this.write(ref, amount, fail);
  }

  @MultiDbTransactional({ databases: ['default', 'auth'], twoPhase: true })
  async twoPhase(ref: string, amount: number, fail = false): Promise<void> {
    await this.write(ref, amount, fail);
  }

  /** Injected repositories, DbService and an explicit flush: all inside the transactions. */
  private async write(ref: string, amount: number, fail: boolean): Promise<void> {
    this.debits.create({ ref, amount: -amount });
    await this.debits.getEntityManager().flush();
    this.db.getRepository<Credit>(Credit).create({ ref, amount });
    if (fail) throw new Error(`transfer ${ref} refused`);
  }
}

@Module({ imports: [MultiDbModule.forFeature(ledgerEntities)], providers: [TransferService] })
class LedgerModule {}

let pg: string;
let maria: string;

async function rowsOf(ref: string): Promise<{ debits: number; credits: number }> {
  const [debits, credits] = await Promise.all([
    runSql('postgres', pg, `select id from debits where ref = '${ref}'`),
    runSql('mariadb', maria, `select id from credits where ref = '${ref}'`),
  ]);
  return { debits: debits.length, credits: credits.length };
}

describe('DbService.transaction over PostgreSQL and MariaDB', () => {
  let booted: Booted;
  let service: TransferService;

  beforeAll(async () => {
    [pg, maria] = await Promise.all([createDatabase('postgres', 'tx_main'), createDatabase('mariadb', 'tx_auth')]);
    const databases = { default: serverUrl('postgres', pg), auth: serverUrl('mariadb', maria, 'mariadb') };
    booted = await bootWith([MultiDbModule.setup({ databases, entities: ledgerEntities }), LedgerModule]);
    await booted.db.createAll();
    service = booted.app.get(TransferService);
  });

  afterAll(async () => {
    await booted?.app.close();
  });

  describe.each([
    ['one commit after another', false],
    ['two-phase commit', true],
  ])('%s', (_name, twoPhase) => {
    const transfer = (ref: string, amount: number, fail?: boolean) =>
      twoPhase ? service.twoPhase(ref, amount, fail) : service.plain(ref, amount, fail);
    const tag = twoPhase ? '2pc' : 'plain';

    it('commits both databases (injected repositories and DbService join the transactions)', async () => {
      await transfer(`${tag}-ok`, 10);
      expect(await rowsOf(`${tag}-ok`)).toEqual({ debits: 1, credits: 1 });
    });

    it('an exception in the function writes neither database, even what it flushed', async () => {
      const error = await rejection(transfer(`${tag}-thrown`, 10, true));
      expect(error.message).toBe(`transfer ${tag}-thrown refused`);
      expect(await rowsOf(`${tag}-thrown`)).toEqual({ debits: 0, credits: 0 });
    });

    it('a failing flush in the second database (unique violation) writes neither', async () => {
      await runSql('mariadb', maria, `insert into credits (ref, amount) values ('${tag}-dup', 1)`);
      const error = await rejection(transfer(`${tag}-dup`, 10));
      expect(error.name).toBe('UniqueConstraintViolationException');
      expect(await rowsOf(`${tag}-dup`)).toEqual({ debits: 0, credits: 1 });
    });

    it('hands the function its EntityManagers by key; em(key) resolves to them inside only', async () => {
      const { db } = booted;
      const seen = await db.transaction(
        ['default', 'auth'],
        async (ems) => {
          ems.default.create(Debit, { ref: `${tag}-ems`, amount: -3 });
          ems.auth.create(Credit, { ref: `${tag}-ems`, amount: 3 });
          return { default: db.em('default') === ems.default, auth: db.em('auth') === ems.auth };
        },
        { twoPhase },
      );
      expect(seen).toEqual({ default: true, auth: true });
      expect(db.em('default')).toBe(db.orm('default').em);
      expect(await rowsOf(`${tag}-ems`)).toEqual({ debits: 1, credits: 1 });
    });
  });

  it('many concurrent two-phase transactions, keys in either order, share pools of two connections without starving', async () => {
    const databases = {
      default: { url: serverUrl('postgres', pg), pool: { min: 0, max: 2 } },
      auth: { url: serverUrl('mariadb', maria, 'mariadb'), pool: { min: 0, max: 2 } },
    };
    const small = await boot({ databases, entities: ledgerEntities });
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          small.db.transaction(
            i % 2 === 0 ? ['default', 'auth'] : ['auth', 'default'],
            (ems) => {
              ems.default.create(Debit, { ref: `busy-${i}`, amount: -i });
              ems.auth.create(Credit, { ref: `busy-${i}`, amount: i });
            },
            { twoPhase: true },
          ),
        ),
      );
    } finally {
      await small.app.close();
    }
    for (let i = 0; i < 8; i++) expect(await rowsOf(`busy-${i}`)).toEqual({ debits: 1, credits: 1 });
  });

  it('a participant lost after the commit decision: the others commit, the error says so, recovery finishes it', async () => {
    const { db } = booted;
    const error = await rejection(
      db.transaction(
        ['default', 'auth'],
        (ems) => {
          ems.default.create(Debit, { ref: 'phase-two', amount: -7 });
          ems.auth.create(Credit, { ref: 'phase-two', amount: 7 });
        },
        {
          twoPhase: true,
          onStep: async (step) => {
            if (step !== 'decision-logged') return;
            // the PostgreSQL participant's session dies (the one that prepared the only prepared
            // transaction); its prepared transaction survives it
            const [prepared] = await runSql<{ gid: string }>(
              'postgres',
              pg,
              'select gid from pg_prepared_xacts where database = current_database()',
            );
            await runSql(
              'postgres',
              pg,
              `select pg_terminate_backend(pid) from pg_stat_activity where query = 'prepare transaction ''${prepared?.gid}'''`,
            );
          },
        },
      ),
    );
    expect(error).toBeInstanceOf(TransactionFailedError);
    expect(error.message).toContain("the decision to commit is logged, but committing database 'default' failed");
    expect(error).toMatchObject({ committed: ['auth'], key: 'default' });
    expect(await rowsOf('phase-two')).toEqual({ debits: 0, credits: 1 });
    const report = await db.recoverTransactions();
    expect(report.committed).toHaveLength(1);
    expect(await rowsOf('phase-two')).toEqual({ debits: 1, credits: 1 });
  });

  it('the coordinator connection lost while logging the decision: settled as abort, nothing written', async () => {
    const { db } = booted;
    const error = await rejection(
      db.transaction(
        ['default', 'auth'],
        (ems) => {
          ems.default.create(Debit, { ref: 'lost-decision', amount: -4 });
          ems.auth.create(Credit, { ref: 'lost-decision', amount: 4 });
        },
        {
          twoPhase: true,
          onStep: async (step) => {
            if (step !== 'prepared-all') return;
            // the session that wrote this transaction's log row (its last statement) dies
            await runSql(
              'postgres',
              pg,
              "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'with row as (insert into multidb_transactions%'",
            );
          },
        },
      ),
    );
    expect(error).toBeInstanceOf(TransactionFailedError);
    expect(error.message).toContain('the commit decision could not be logged');
    expect(error).toMatchObject({ committed: [], rolledBack: ['default', 'auth'] });
    expect(await rowsOf('lost-decision')).toEqual({ debits: 0, credits: 0 });
    expect(await runSql('postgres', pg, 'select status from multidb_transactions')).toEqual([{ status: 'abort' }]);
    expect(await db.recoverTransactions()).toEqual({ committed: [], rolledBack: [], forgotten: 1, skipped: 0 });
  });

  it('a MariaDB coordinator log works the same (transactions.coordinator)', async () => {
    const databases = { default: serverUrl('postgres', pg), auth: serverUrl('mariadb', maria, 'mariadb') };
    const other = await boot({ databases, entities: ledgerEntities, transactions: { coordinator: 'auth' } });
    try {
      await other.db.transaction(
        ['default', 'auth'],
        (ems) => {
          ems.default.create(Debit, { ref: 'maria-log', amount: -2 });
          ems.auth.create(Credit, { ref: 'maria-log', amount: 2 });
        },
        { twoPhase: true },
      );
      await rejection(
        other.db.transaction(
          ['auth', 'default'],
          (ems) => {
            ems.default.create(Debit, { ref: 'maria-log-fail', amount: -2 });
            throw new Error('no');
          },
          { twoPhase: true },
        ),
      );
      expect(await runSql('mariadb', maria, 'select id from multidb_transactions')).toEqual([]);
      expect(await other.db.recoverTransactions()).toEqual({ committed: [], rolledBack: [], forgotten: 0, skipped: 0 });
    } finally {
      await other.app.close();
    }
    expect(await rowsOf('maria-log')).toEqual({ debits: 1, credits: 1 });
    expect(await rowsOf('maria-log-fail')).toEqual({ debits: 0, credits: 0 });
  });

  it('nested em.transactional() inside a two-phase transaction uses savepoints (PostgreSQL and MariaDB XA)', async () => {
    const { db } = booted;
    await db.transaction(
      ['default', 'auth'],
      async () => {
        for (const [key, entity] of [
          ['default', Debit],
          ['auth', Credit],
        ] as const) {
          await db.em(key).transactional(async (em) => {
            em.create(entity, { ref: 'nested-kept', amount: 1 });
          });
          const inner = db.em(key).transactional(async (em) => {
            em.create(entity, { ref: 'nested-undone', amount: 1 });
            await em.flush();
            throw new Error('inner');
          });
          await expect(inner).rejects.toThrow('inner');
        }
      },
      { twoPhase: true },
    );
    expect(await rowsOf('nested-kept')).toEqual({ debits: 1, credits: 1 });
    expect(await rowsOf('nested-undone')).toEqual({ debits: 0, credits: 0 });
  });

  it('leaves no prepared transaction and no coordinator log row behind', async () => {
    await service.twoPhase('clean', 1);
    await rejection(service.twoPhase('clean-fail', 1, true));
    // XA RECOVER lists the whole server's: keep this coordinator's (its tag hashes the log's database and table)
    const tag = createHash('sha256').update(`${pg}/multidb_transactions`).digest('hex').slice(0, 8);
    const xa = await runSql<{ data: string }>('mariadb', maria, 'xa recover');
    expect(xa.filter((x) => String(x.data).startsWith(`multidb.${tag}.`))).toEqual([]);
    expect(
      await runSql('postgres', pg, 'select gid from pg_prepared_xacts where database = current_database()'),
    ).toEqual([]);
    expect(await runSql('postgres', pg, 'select id from multidb_transactions')).toEqual([]);
    expect(await booted.db.recoverTransactions()).toEqual({ committed: [], rolledBack: [], forgotten: 0, skipped: 0 });
  });

  it('a pool of one connection per database serves many two-phase transactions in a row (sessions come back clean)', async () => {
    for (let i = 0; i < 5; i++) await service.twoPhase(`loop-${i}`, i);
    await rejection(service.twoPhase('loop-fail', 1, true));
    await service.twoPhase('loop-after', 1);
    expect(await rowsOf('loop-after')).toEqual({ debits: 1, credits: 1 });
  });
});

describe('a commit that fails after the flush (deferred unique constraint on PostgreSQL)', () => {
  let pgDeferred: string;
  let mariaDeferred: string;
  let booted: Booted;

  const counts = async (ref: string) => {
    const [debits, credits] = await Promise.all([
      runSql('postgres', pgDeferred, `select id from debits where ref = '${ref}'`),
      runSql('mariadb', mariaDeferred, `select id from credits where ref = '${ref}'`),
    ]);
    return { debits: debits.length - 1, credits: credits.length }; // minus the row seeded below
  };
  const transfer = (ref: string, twoPhase: boolean) =>
    booted.db.transaction(
      ['auth', 'default'], // MariaDB first: it commits before PostgreSQL checks its constraint
      (ems) => {
        ems.auth.create(Credit, { ref, amount: 5 });
        ems.default.create(Debit, { ref, amount: -5 });
      },
      { twoPhase },
    );

  beforeAll(async () => {
    [pgDeferred, mariaDeferred] = await Promise.all([
      createDatabase('postgres', 'tx_deferred'),
      createDatabase('mariadb', 'tx_deferred'),
    ]);
    await runSql(
      'postgres',
      pgDeferred,
      'create table debits (id serial primary key, ref varchar(255) not null, amount int not null, constraint debits_ref unique (ref) deferrable initially deferred)',
    );
    await runSql('postgres', pgDeferred, "insert into debits (ref, amount) values ('late', 1), ('late-2pc', 1)");
    const databases = {
      default: serverUrl('postgres', pgDeferred),
      auth: serverUrl('mariadb', mariaDeferred, 'mariadb'),
    };
    booted = await boot({ databases, entities: ledgerEntities });
    await booted.db.createAll('auth');
  });

  afterAll(async () => {
    await booted?.app.close();
  });

  it('without twoPhase, the error names the key that committed and the one that did not (inconsistent, as documented)', async () => {
    const error = await rejection(transfer('late', false));
    expect(error).toBeInstanceOf(TransactionFailedError);
    expect(error.message).toContain("Transaction commit failed in database 'default'");
    expect(error.message).toContain("Committed: 'auth'; not committed: 'default'");
    expect(error).toMatchObject({ committed: ['auth'], rolledBack: ['default'], key: 'default' });
    expect(await counts('late')).toEqual({ debits: 0, credits: 1 });
  });

  it('with twoPhase, PREPARE TRANSACTION catches it and neither database is written', async () => {
    const error = await rejection(transfer('late-2pc', true));
    expect(error).toBeInstanceOf(TransactionFailedError);
    expect(error.message).toContain("database 'default' could not prepare: duplicate key value");
    expect(error).toMatchObject({ committed: [], rolledBack: ['auth', 'default'] });
    expect(await counts('late-2pc')).toEqual({ debits: 0, credits: 0 });
  });
});

describe('two-phase refusals', () => {
  it('a SQLite participant: SQLite cannot prepare', async () => {
    const { app, db } = await boot({ databases: { default: serverUrl('postgres', pg), auth: 'sqlite://' } });
    try {
      const error = await rejection(db.transaction(['default', 'auth'], () => undefined, { twoPhase: true }));
      expect(error).toBeInstanceOf(TransactionSetupError);
      expect(error.message).toContain("Database 'auth' (sqlite) cannot take part in a twoPhase transaction");
    } finally {
      await app.close();
    }
  });

  it('start-up recovery that fails stops start-up with a TransactionRecoveryError naming the database', async () => {
    const broken = await createDatabase('postgres', 'tx_broken_log');
    await runSql('postgres', broken, 'create table multidb_transactions (id serial primary key)'); // no status column
    const error = await rejection(boot({ databases: { default: serverUrl('postgres', broken) } }));
    expect(error).toBeInstanceOf(TransactionRecoveryError);
    expect(error.message).toContain("Recovery of in-doubt two-phase transactions failed for database 'default'");
    expect(error.message).toContain('DbService.recoverTransactions()');
  });

  it('a coordinator whose user may not create the log table: the transaction does not start, saying why', async () => {
    const fresh = await createDatabase('mariadb', 'tx_nocreate');
    const user = `nocreate_${process.pid}`;
    await runSql('mariadb', 'mysql', `create user '${user}'@'%' identified by 'nocreate-pw'`);
    await runSql('mariadb', 'mysql', `grant select, insert, update, delete on ${fresh}.* to '${user}'@'%'`);
    const url = serverUrl('mariadb', fresh, 'mariadb').replace(/\/\/[^@]+@/, `//${user}:nocreate-pw@`);
    const { app, db } = await boot({
      databases: { default: serverUrl('postgres', pg), auth: url },
      transactions: { coordinator: 'auth' },
    });
    try {
      const error = await rejection(db.transaction(['default', 'auth'], () => undefined, { twoPhase: true }));
      expect(error).toBeInstanceOf(TransactionFailedError);
      expect(error.message).toContain(
        "the coordinator log 'multidb_transactions' in database 'auth' could not be written",
      );
      expect(error.message).toContain('CREATE command denied');
      expect(error.message).not.toContain('nocreate-pw');
    } finally {
      await app.close();
    }
  });

  describe('PostgreSQL with max_prepared_transactions = 0', () => {
    let server: ThrowawayServer;
    beforeAll(async () => {
      server = await startPostgres({ maxPreparedTransactions: 0 });
    });
    afterAll(async () => {
      await server?.destroy();
    });

    it('is refused before anything is written, saying which setting to change', async () => {
      const { app, db } = await boot({
        databases: { default: serverUrl('postgres', pg), auth: server.url('postgres') },
        entities: ledgerEntities,
      });
      try {
        const error = await rejection(db.transaction(['default', 'auth'], () => undefined, { twoPhase: true }));
        expect(error).toBeInstanceOf(TransactionSetupError);
        expect(error.message).toContain("Database 'auth' runs PostgreSQL with max_prepared_transactions = 0");
      } finally {
        await app.close();
      }
    });
  });
});
