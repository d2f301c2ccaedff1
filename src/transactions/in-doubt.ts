import type { MikroORM } from '@mikro-orm/core';
import type { DriverName } from '../config/database-url.js';
import { TransactionSetupError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import { formatGlobalId, type GlobalId, parseGlobalId, transactionPrefix, xaId } from './global-id.js';

/** A database's prepared transactions, seen from any session (engine specific). */
export interface PreparedTransactions {
  /** Refuses a database that could not take part in (and be recovered from) two-phase commit. */
  assertUsable(): Promise<void>;
  /** Our prepared, not yet resolved transactions of this key. */
  list(tag: string): Promise<GlobalId[]>;
  /** Commits or rolls back one; false when it no longer exists (someone else resolved it). */
  resolve(gid: GlobalId, commit: boolean): Promise<boolean>;
}

interface XaRecoverRow {
  gtrid_length: number | string;
  bqual_length: number | string;
  data: string | Buffer;
}

/** Already resolved elsewhere; or (XA_RBROLLBACK) a read-only MariaDB branch, which had nothing to commit. */
const NOT_FOUND = /does not exist|XAER_NOTA|unknown xid|XA_RBROLLBACK/i;

function execute<T>(orm: MikroORM, sql: string, params: unknown[] = []): Promise<T[]> {
  return orm.em.getConnection('write').execute(sql, params) as Promise<T[]>;
}

async function resolved(run: Promise<unknown>): Promise<boolean> {
  try {
    await run;
    return true;
  } catch (error) {
    if (error instanceof Error && NOT_FOUND.test(error.message)) return false;
    throw error;
  }
}

function postgres(key: string, orm: MikroORM): PreparedTransactions {
  return {
    async assertUsable() {
      const [row] = await execute<{ max_prepared_transactions: string }>(orm, 'show max_prepared_transactions');
      if (Number(row?.max_prepared_transactions) === 0)
        throw new TransactionSetupError(messages.preparedTransactionsDisabled(key), { key });
    },
    async list(tag) {
      const sql = 'select gid from pg_prepared_xacts where database = current_database() and gid like ?';
      const rows = await execute<{ gid: string }>(orm, sql, [`${transactionPrefix(tag)}%`]);
      return rows.flatMap((r) => parseGlobalId(r.gid, tag) ?? []).filter((g) => g.key === key);
    },
    resolve(gid, commit) {
      return resolved(execute(orm, `${commit ? 'commit' : 'rollback'} prepared '${formatGlobalId(gid)}'`));
    },
  };
}

function xa(key: string, orm: MikroORM): PreparedTransactions {
  const recover = async (): Promise<XaRecoverRow[]> => {
    try {
      return await execute<XaRecoverRow>(orm, 'xa recover');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (/denied|privilege|XA_RECOVER_ADMIN/i.test(reason))
        throw new TransactionSetupError(messages.xaPrivilegeMissing(key, reason), { key, cause: error });
      throw error;
    }
  };
  return {
    async assertUsable() {
      await recover();
    },
    async list(tag) {
      return (await recover()).flatMap((row) => {
        const data = String(row.data);
        const gtridLength = Number(row.gtrid_length);
        const gtrid = data.slice(0, gtridLength);
        const bqual = data.slice(gtridLength, gtridLength + Number(row.bqual_length));
        const gid = parseGlobalId(`${gtrid}.${bqual}`, tag);
        return gid && gid.key === key ? [gid] : [];
      });
    },
    resolve(gid, commit) {
      return resolved(execute(orm, `xa ${commit ? 'commit' : 'rollback'} ${xaId(gid)}`));
    },
  };
}

/** The prepared transactions of a PostgreSQL or MySQL/MariaDB database. */
export function preparedTransactions(key: string, orm: MikroORM, driver: DriverName): PreparedTransactions {
  return driver === 'postgresql' ? postgres(key, orm) : xa(key, orm);
}
