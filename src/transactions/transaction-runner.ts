import { redact } from '../config/mask.js';
import { runWithEntityManagers } from '../context/request-context.js';
import { TransactionFailedError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { Database } from '../orm/start-databases.js';
import type { CoordinatorLog } from './coordinator-log.js';
import type { HeldConnection } from './held-connection.js';
import { openParticipant, type Participant } from './participants.js';
import type { TransactionEntityManagers, TransactionOptions } from './transaction.options.js';

/** What a two-phase run needs besides the databases: the log and an open session on it. */
export interface TwoPhaseLog {
  log: CoordinatorLog;
  session: HeldConnection;
  id: number;
}

/**
 * One transaction per database, `fn` with their EntityManagers, then flush all and commit all — in
 * two phases when a log is given — or roll back all when `fn` or any flush throws (rethrowing that
 * error). Without a log, commits run one after another: a failed commit throws a
 * TransactionFailedError naming what committed and what did not.
 */
export async function runTransaction<K extends string, T>(
  databases: readonly Database[],
  fn: (ems: TransactionEntityManagers<K>) => T | Promise<T>,
  options: TransactionOptions,
  twoPhase: TwoPhaseLog | undefined,
  openOrder: readonly string[],
): Promise<T> {
  const opened: Participant[] = [];
  const secrets = databases.flatMap((d) => d.config.secrets);
  const reasonOf = (error: unknown) => redact(messageOf(error), secrets);
  try {
    // connections are taken in one fixed order (the configured one), so two transactions over the
    // same keys listed in other orders cannot each hold one pool's last connection and wait for the other's
    const rank = (db: Database) => openOrder.indexOf(db.config.key);
    for (const { config, orm } of [...databases].sort((a, b) => rank(a) - rank(b))) {
      const gid = twoPhase && { tag: twoPhase.log.tag, id: twoPhase.id, key: config.key };
      opened.push(await openParticipant(config.key, orm, config.driver, gid));
    }
    const participants = databases.map((db) => opened.find((p) => p.key === db.config.key) as Participant);
    const ems = new Map(participants.map((p) => [p.key, p.em]));
    // flushed in the same context: subscribers and hooks that resolve EntityManagers see the transaction's
    const result = await runWithEntityManagers(ems, async () => {
      const value = await fn(Object.fromEntries(ems) as TransactionEntityManagers<K>);
      for (const p of participants) await p.em.flush();
      return value;
    });
    if (twoPhase) await commitTwoPhase(participants, options, twoPhase, reasonOf);
    else await commitInTurn(participants, reasonOf);
    return result;
  } catch (error) {
    // a TransactionFailedError has settled every database already (and keeps a commit decision)
    if (!(error instanceof TransactionFailedError)) {
      await rollbackAll(opened);
      await twoPhase?.log.forget(twoPhase.session, twoPhase.id).catch(() => undefined);
    }
    throw error;
  } finally {
    await Promise.all(opened.map((p) => p.release().catch(() => undefined)));
  }
}

type Reason = (error: unknown) => string;

async function commitTwoPhase(
  participants: Participant[],
  options: TransactionOptions,
  twoPhase: TwoPhaseLog,
  reasonOf: Reason,
) {
  const step = options.onStep ?? (() => undefined);
  const { log, session, id } = twoPhase;
  const keys = participants.map((p) => p.key);
  for (const [i, p] of participants.entries()) {
    try {
      await p.prepare();
    } catch (error) {
      // deferred constraints and serialization failures surface here: nothing is committed yet
      await rollbackAll(participants);
      await log.forget(session, id).catch(() => undefined);
      const reason = `database '${p.key}' could not prepare: ${reasonOf(error)}`;
      throw new TransactionFailedError(messages.transactionRolledBack(reason, keys), [], keys, {
        key: p.key,
        cause: error,
      });
    }
    if (i === 0) await step('prepared-one');
  }
  await step('prepared-all');
  let commit: boolean;
  try {
    commit = await log.decideCommit(session, id);
  } catch (lost) {
    try {
      commit = await log.settleLostDecision(id);
    } catch (error) {
      // the outcome is unknown here: leave every database prepared, recovery reads the decision
      throw new TransactionFailedError(messages.decisionUnknown(id, reasonOf(error), keys), [], [], {
        key: log.key,
        cause: lost,
      });
    }
  }
  if (!commit) {
    await rollbackAll(participants);
    await log.forget(session, id).catch(() => undefined);
    throw new TransactionFailedError(messages.decisionLost(id, keys), [], keys);
  }
  await step('decision-logged');
  // the decision is commit: every database is committed even when one fails (its session may be
  // gone); recovery (or the next start-up) completes what is left
  const committed: string[] = [];
  const failed: { key: string; error: unknown }[] = [];
  for (const p of participants) {
    try {
      await p.commit();
    } catch (error) {
      failed.push({ key: p.key, error });
      continue;
    }
    committed.push(p.key);
    if (committed.length === 1) await step('committed-one');
  }
  const [first] = failed;
  if (first) {
    const rest = failed.map((f) => f.key);
    const message = messages.phaseTwoFailed(first.key, reasonOf(first.error), committed, rest);
    throw new TransactionFailedError(message, committed, [], { key: first.key, cause: first.error });
  }
}

async function commitInTurn(participants: Participant[], reasonOf: Reason): Promise<void> {
  const committed: string[] = [];
  for (const p of participants) {
    try {
      await p.commit();
    } catch (error) {
      const rest = participants.filter((q) => !committed.includes(q.key));
      await rollbackAll(rest);
      const notCommitted = rest.map((q) => q.key);
      const message =
        committed.length > 0
          ? messages.partialCommit(p.key, reasonOf(error), committed, notCommitted)
          : messages.transactionRolledBack(reasonOf(error), notCommitted);
      throw new TransactionFailedError(message, committed, notCommitted, { key: p.key, cause: error });
    }
    committed.push(p.key);
  }
}

/** Best effort: a rollback that fails leaves a prepared transaction to recovery, an open one to the server. */
async function rollbackAll(participants: readonly Participant[]): Promise<void> {
  await Promise.all(participants.map((p) => p.rollback().catch(() => undefined)));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
