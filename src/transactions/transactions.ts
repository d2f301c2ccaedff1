import type { Logger } from '@nestjs/common';
import { redact } from '../config/mask.js';
import { DEFAULT_KEY } from '../config/resolve-databases.js';
import {
  DatabaseClosedError,
  InvalidOptionsError,
  TransactionFailedError,
  TransactionSetupError,
  UnknownDatabaseError,
} from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { PoolStats } from '../orm/pool-stats.js';
import type { Database } from '../orm/start-databases.js';
import { CoordinatorLog } from './coordinator-log.js';
import { type PreparedTransactions, preparedTransactions } from './in-doubt.js';
import { canPrepare } from './participants.js';
import { recover } from './recovery.js';
import { runTransaction } from './transaction-runner.js';
import type {
  RecoveryReport,
  TransactionEntityManagers,
  TransactionOptions,
  TransactionsOptions,
} from './transaction.options.js';

export const DEFAULT_LOG_TABLE = 'multidb_transactions';

/** Cross-database transactions over the started databases; DbService delegates to it. */
export class CrossDatabaseTransactions {
  readonly #byKey: ReadonlyMap<string, Database>;
  readonly #prepared = new Map<string, PreparedTransactions>();
  /** Keys whose server was checked for two-phase commit (setting, privilege). */
  readonly #usable = new Map<string, Promise<void>>();
  #log: CoordinatorLog | undefined;
  #closed = false;

  constructor(
    databases: readonly Database[],
    private readonly options: TransactionsOptions = {},
    /** Databases besides the configured ones: the current tenant's of a template (`db.transaction(['tenant'])`). */
    private readonly extra: (key: string) => Database | undefined = () => undefined,
  ) {
    this.#byKey = new Map(databases.map((db) => [db.config.key, db]));
    for (const { config, orm } of databases) {
      if (canPrepare(config.driver))
        this.#prepared.set(config.key, preparedTransactions(config.key, orm, config.driver));
    }
  }

  async run<K extends string, T>(
    keys: readonly K[],
    fn: (ems: TransactionEntityManagers<K>) => T | Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    if (!Array.isArray(keys) || keys.length === 0) throw new InvalidOptionsError(messages.transactionKeysMissing());
    const databases = [...new Set(keys)].map((key) => this.#database(key));
    if (!options.twoPhase) return runTransaction(databases, fn, options, undefined, [...this.#byKey.keys()]);

    for (const { config } of databases) {
      if (!this.#byKey.has(config.key)) {
        throw new TransactionSetupError(messages.twoPhaseTenant(config.entityKey), { key: config.entityKey });
      }
      if (!canPrepare(config.driver))
        throw new TransactionSetupError(messages.twoPhaseUnsupported(config.key, config.driver), { key: config.key });
    }
    await Promise.all(databases.map((db) => this.#assertUsable(db.config.key)));
    const log = this.#coordinator();
    const participants = databases.map((db) => db.config.key);
    const session = await log.session().catch((error: unknown) => {
      throw error instanceof DatabaseClosedError ? error : this.#coordinatorFailed(log, error, participants);
    });
    try {
      // the row and its session lock: recovery leaves a transaction alone while its owner is alive
      const { id, locked } = await log
        .ensureTable(session)
        .then(() => log.start(session, participants))
        .catch((error: unknown) => {
          throw this.#coordinatorFailed(log, error, participants);
        });
      if (!locked) throw new TransactionFailedError(messages.decisionLost(id, [...keys]), [], [...keys]);
      let finished = false;
      try {
        const result = await runTransaction(databases, fn, options, { log, session, id }, [...this.#byKey.keys()]);
        // committed everywhere: a row left behind (lost connection) is removed by the next recovery
        finished = await log.finish(session, id).then(
          () => true,
          () => false,
        );
        return result;
      } finally {
        if (!finished) await log.unlock(session, id).catch(() => undefined);
      }
    } finally {
      await session.release();
    }
  }

  /**
   * Closes the coordinator log's own connections (never fails: its sessions hold nothing to lose);
   * a log not opened yet never will be.
   */
  async close(logger: Pick<Logger, 'warn'>): Promise<void> {
    this.#closed = true;
    await this.#log?.close(logger).catch(() => undefined);
  }

  /** The coordinator log's own pool, by its database key, once a two-phase transaction (or recovery) opened it. */
  coordinatorPool(): { key: string; pool: PoolStats } | undefined {
    return this.#log && { key: this.#log.key, pool: this.#log.poolStats() };
  }

  /** Resolves in-doubt two-phase transactions of every PostgreSQL and MySQL/MariaDB database. */
  recover(): Promise<RecoveryReport> {
    return recover(this.#coordinator(), this.#prepared, this.#secrets());
  }

  /** Prepared, unresolved two-phase transactions per key that can take part; keys that fail to answer are left out. */
  async inDoubt(): Promise<Record<string, number>> {
    let tag: string;
    try {
      tag = this.#coordinator().tag;
    } catch {
      return {}; // no coordinator possible (SQLite only) or closed: nothing can be in doubt, or nothing to ask
    }
    const counts: Record<string, number> = {};
    await Promise.all(
      [...this.#prepared].map(async ([key, prepared]) => {
        const found = await prepared.list(tag).then(
          (gids) => gids.length,
          () => undefined,
        );
        if (found !== undefined) counts[key] = found;
      }),
    );
    return counts;
  }

  #secrets(): string[] {
    return [...this.#byKey.values()].flatMap((db) => db.config.secrets);
  }

  /** Start-up recovery: skipped when recovery is off, or no coordinator could exist (an implicit SQLite `default`). */
  async recoverOnStart(): Promise<RecoveryReport | undefined> {
    if (this.options.recoverOnStart === false) return undefined;
    const key = this.options.coordinator ?? DEFAULT_KEY;
    const db = this.#database(key);
    if (!canPrepare(db.config.driver) && this.options.coordinator === undefined) return undefined;
    // a lazy database that is down: its in-doubt transactions wait for recoverTransactions()
    // (recovery leaves a logged transaction alone while one of its databases is left out)
    const away = new Set([...this.#byKey.values()].flatMap((d) => (d.reachableAtStart ? [] : [d.config.key])));
    if (away.has(key)) return undefined;
    if (away.size === 0) return this.recover();
    const reachable = new Map([...this.#prepared].filter(([k]) => !away.has(k)));
    return recover(this.#coordinator(), reachable, this.#secrets());
  }

  #coordinator(): CoordinatorLog {
    if (this.#log) return this.#log;
    const key = this.options.coordinator ?? DEFAULT_KEY;
    // a log created now would open a pool of its own that nothing closes
    if (this.#closed) throw new DatabaseClosedError(key);
    const { config, orm } = this.#database(key);
    if (!canPrepare(config.driver))
      throw new TransactionSetupError(messages.coordinatorUnsupported(key, config.driver), { key });
    this.#log = new CoordinatorLog(config, orm, this.options.table ?? DEFAULT_LOG_TABLE);
    return this.#log;
  }

  /** The log could not be written before anything started: nothing was written anywhere. */
  #coordinatorFailed(log: CoordinatorLog, error: unknown, keys: string[]): TransactionFailedError {
    const db = this.#database(log.key);
    const reason = redact(error instanceof Error ? error.message : String(error), db.config.secrets);
    const message = messages.coordinatorFailed(log.key, log.table, reason, keys);
    return new TransactionFailedError(message, [], keys, { key: log.key, cause: error });
  }

  #assertUsable(key: string): Promise<void> {
    let check = this.#usable.get(key);
    if (!check) {
      check = (this.#prepared.get(key) as PreparedTransactions).assertUsable();
      check.catch(() => this.#usable.delete(key));
      this.#usable.set(key, check);
    }
    return check;
  }

  #database(key: string): Database {
    const db = this.#byKey.get(key) ?? this.extra(key);
    if (!db) throw new UnknownDatabaseError(key, [...this.#byKey.keys()]);
    return db;
  }
}
