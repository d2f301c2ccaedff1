/** The messages of transactions over several databases and of two-phase commit (see messages.ts). */
const list = (keys: readonly string[]): string => keys.map((k) => `'${k}'`).join(', ');

export const transactionMessages = {
  transactionKeysMissing: (): string =>
    "DbService.transaction(keys, fn): name at least one database key, e.g. transaction(['default', 'auth'], fn).",
  transactionalNotInjected: (method: string): string =>
    `@MultiDbTransactional on ${method}: DbService was not injected into this instance. Create the class through Nest (list it in a module's providers) instead of with 'new'.`,
  twoPhaseUnsupported: (key: string, driver: string): string =>
    `Database '${key}' (${driver}) cannot take part in a twoPhase transaction: only PostgreSQL and MySQL/MariaDB can prepare a transaction. Move its tables to such a database, or leave twoPhase off (commits then run one after another).`,
  coordinatorUnsupported: (key: string, driver: string): string =>
    `The transaction coordinator log needs a PostgreSQL or MySQL/MariaDB database, but '${key}' is ${driver}. Set 'transactions.coordinator' to such a database key.`,
  preparedTransactionsDisabled: (key: string): string =>
    `Database '${key}' runs PostgreSQL with max_prepared_transactions = 0, so it cannot prepare transactions. Set max_prepared_transactions (in postgresql.conf, at least your connection pool size) and restart the server, or leave twoPhase off.`,
  xaPrivilegeMissing: (key: string, reason: string): string =>
    `Database '${key}': the database user may not list prepared XA transactions (${reason}), so in-doubt transactions could not be recovered. Grant it: GRANT XA_RECOVER_ADMIN ON *.* TO <user> (MariaDB 10.5+, MySQL 8; SUPER on older servers), or leave twoPhase off.`,
  transactionRolledBack: (reason: string, rolledBack: readonly string[]): string =>
    `Transaction over ${list(rolledBack)} rolled back, nothing was written: ${reason}`,
  partialCommit: (key: string, reason: string, committed: readonly string[], notCommitted: readonly string[]): string =>
    `Transaction commit failed in database '${key}': ${reason}. Committed: ${list(committed)}; not committed: ${list(notCommitted)}. The databases are now inconsistent; use twoPhase: true where that matters.`,
  coordinatorFailed: (key: string, table: string, reason: string, keys: readonly string[]): string =>
    `Two-phase transaction over ${list(keys)} did not start, nothing was written: the coordinator log '${table}' in database '${key}' could not be written (${reason}). Check that the database is reachable and its user may create and write that table (or create it beforehand), or set 'transactions.coordinator' to another database.`,
  phaseTwoFailed: (key: string, reason: string, committed: readonly string[], pending: readonly string[]): string =>
    `Two-phase commit: the decision to commit is logged, but committing database '${key}' failed: ${reason}. Committed: ${list(committed)}; still prepared: ${list(pending)}. DbService.recoverTransactions() (also run at start-up) commits them once the database is reachable.`,
  decisionLost: (id: number, keys: readonly string[]): string =>
    `Two-phase transaction ${id}: the commit decision could not be logged (the coordinator connection dropped, or a recovery run took the transaction for abandoned), so ${list(keys)} were rolled back and nothing was written. Run it again.`,
  decisionUnknown: (id: number, reason: string, keys: readonly string[]): string =>
    `Two-phase transaction ${id}: whether the commit decision was logged is unknown (${reason}); ${list(keys)} stay prepared. DbService.recoverTransactions() (also run at start-up) commits or rolls them back as the log says, once the coordinator database answers.`,
  recoveryFailed: (key: string, reason: string): string =>
    `Recovery of in-doubt two-phase transactions failed for database '${key}': ${reason}. Check that it is reachable, then call DbService.recoverTransactions() again.`,
} as const;
