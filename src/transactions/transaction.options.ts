import type { EntityManager } from '@mikro-orm/core';

/** Module-level settings of cross-database transactions (`MultiDbModuleOptions.transactions`). */
export interface TransactionsOptions {
  /**
   * Key of the database that holds the two-phase coordinator log; it must be PostgreSQL or MySQL/MariaDB.
   * @default 'default'
   */
  coordinator?: string;
  /**
   * Name of the coordinator log table (created on the first two-phase transaction).
   * @default 'multidb_transactions'
   */
  table?: string;
  /**
   * Resolve in-doubt two-phase transactions at start-up, before the application serves requests.
   * Does nothing while the coordinator log table does not exist (no two-phase transaction ever ran).
   * @default true
   */
  recoverOnStart?: boolean;
}

/** The steps of a two-phase commit, in order (test hook). */
export type TwoPhaseStep = 'prepared-one' | 'prepared-all' | 'decision-logged' | 'committed-one';

/** How `DbService.transaction()` runs. */
export interface TransactionOptions {
  /**
   * Two-phase commit: every database prepares first (PostgreSQL `PREPARE TRANSACTION`, MySQL/MariaDB
   * `XA PREPARE`), the commit decision is logged durably, then every database commits. A crash at any
   * point leaves all databases committed or all rolled back once recovery has run. SQLite cannot take part.
   * @default false
   */
  twoPhase?: boolean;
  /** @internal test hook: called after each two-phase step (crash tests kill the process there). */
  onStep?: (step: TwoPhaseStep) => void | Promise<void>;
}

/** The EntityManagers of a transaction, by database key. */
export type TransactionEntityManagers<K extends string = string> = Readonly<Record<K, EntityManager>>;

/** What a recovery run did: global transaction ids it committed and rolled back, log rows it removed. */
export interface RecoveryReport {
  /** Global transaction ids committed (their log row said `commit`). */
  committed: string[];
  /** Global transaction ids rolled back (no commit decision: presumed abort). */
  rolledBack: string[];
  /** Coordinator log rows removed (resolved or abandoned transactions). */
  forgotten: number;
  /** Transactions left alone because their owner (or another recovering instance) holds them. */
  skipped: number;
}
