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
 * owner holds the lock) and a second recovering instance are left alone.
 */
export async function recover(
  log: CoordinatorLog,
  participants: ReadonlyMap<string, PreparedTransactions>,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { committed: [], rolledBack: [], forgotten: 0, skipped: 0 };
  const session = await log.session();
  try {
    if (!(await log.tableExists(session))) return report;
    const inDoubt = new Map<number, GlobalId[]>();
    for (const [key, prepared] of participants) {
      for (const gid of await listed(key, prepared, log.tag)) {
        inDoubt.set(gid.id, [...(inDoubt.get(gid.id) ?? []), gid]);
      }
    }
    const ids = new Set([...(await log.rows(session)).map((r) => r.id), ...inDoubt.keys()]);
    for (const id of [...ids].sort((a, b) => a - b)) {
      if (!(await log.tryLock(session, id))) {
        report.skipped++;
        continue;
      }
      try {
        // read under the lock: the row may have been resolved since it was listed
        const commit = (await log.status(session, id)) === 'commit';
        for (const gid of inDoubt.get(id) ?? []) {
          const prepared = participants.get(gid.key) as PreparedTransactions;
          if (await resolve(prepared, gid, commit))
            (commit ? report.committed : report.rolledBack).push(formatGlobalId(gid));
        }
        if (await log.forget(session, id)) report.forgotten++;
      } finally {
        await log.unlock(session, id);
      }
    }
    return report;
  } finally {
    await session.release();
  }
}

async function listed(key: string, prepared: PreparedTransactions, tag: string): Promise<GlobalId[]> {
  try {
    return await prepared.list(tag);
  } catch (error) {
    throw wrap(key, error);
  }
}

async function resolve(prepared: PreparedTransactions, gid: GlobalId, commit: boolean): Promise<boolean> {
  try {
    return await prepared.resolve(gid, commit);
  } catch (error) {
    throw wrap(gid.key, error);
  }
}

function wrap(key: string, error: unknown): MultiDbError {
  if (error instanceof MultiDbError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new TransactionRecoveryError(messages.recoveryFailed(key, reason), { key, cause: error });
}
