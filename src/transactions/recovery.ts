import { redact } from '../config/mask.js';
import { MultiDbError, TransactionRecoveryError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { CoordinatorLog } from './coordinator-log.js';
import { formatGlobalId, type GlobalId } from './global-id.js';
import type { PreparedTransactions } from './in-doubt.js';
import type { RecoveryReport } from './transaction.options.js';

/**
 * Resolves in-doubt two-phase transactions: those whose log row says `commit` are committed, all
 * others rolled back (presumed abort), and the log rows of finished or abandoned transactions are
 * removed. Each transaction is handled under its row's session lock, so a running transaction (its
 * owner holds the lock) and a second recovering instance are left alone. Any failure is a
 * TransactionRecoveryError naming the database.
 */
export async function recover(
  log: CoordinatorLog,
  participants: ReadonlyMap<string, PreparedTransactions>,
  secrets: readonly string[] = [],
): Promise<RecoveryReport> {
  let key = log.key;
  try {
    const report: RecoveryReport = { committed: [], rolledBack: [], forgotten: 0, skipped: 0 };
    if (!(await log.tableExists())) return report;
    const session = await log.session();
    try {
      const inDoubt = new Map<number, GlobalId[]>();
      for (const [participant, prepared] of participants) {
        key = participant;
        for (const gid of await prepared.list(log.tag)) inDoubt.set(gid.id, [...(inDoubt.get(gid.id) ?? []), gid]);
      }
      key = log.key;
      const rows = await log.rows(session);
      // a row naming a database this application does not have (or cannot prepare) is left for one that has it
      const foreign = new Set(rows.filter((r) => r.participants.some((k) => !participants.has(k))).map((r) => r.id));
      const ids = new Set([...rows.map((r) => r.id), ...inDoubt.keys()]);
      for (const id of [...ids].sort((a, b) => a - b)) {
        if (foreign.has(id) || !(await log.tryLock(session, id))) {
          report.skipped++;
          continue;
        }
        try {
          // read under the lock: the row may have been resolved since it was listed
          const commit = (await log.status(session, id)) === 'commit';
          for (const gid of inDoubt.get(id) ?? []) {
            key = gid.key;
            const prepared = participants.get(gid.key) as PreparedTransactions;
            if (await prepared.resolve(gid, commit))
              (commit ? report.committed : report.rolledBack).push(formatGlobalId(gid));
          }
          key = log.key;
          if (await log.forget(session, id)) report.forgotten++;
        } finally {
          await log.unlock(session, id);
        }
      }
      return report;
    } finally {
      await session.release();
    }
  } catch (error) {
    if (error instanceof MultiDbError) throw error;
    const reason = redact(error instanceof Error ? error.message : String(error), secrets);
    throw new TransactionRecoveryError(messages.recoveryFailed(key, reason), { key, cause: error });
  }
}
