import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { DriverName } from '../config/database-url.js';
import { formatGlobalId, type GlobalId, xaId } from './global-id.js';
import { HeldConnection } from './held-connection.js';

/** One database taking part in a cross-database transaction. */
export interface Participant {
  readonly key: string;
  /** The transaction's EntityManager of this database. */
  readonly em: EntityManager;
  /** Phase 1 (two-phase only): after this, the database promises it can commit. */
  prepare(): Promise<void>;
  /** Commits (the prepared transaction under two-phase). */
  commit(): Promise<void>;
  /** Rolls back, before or after prepare. */
  rollback(): Promise<void>;
  /** Gives the connection back to the pool. */
  release(): Promise<void>;
}

/** Without two-phase commit: MikroORM's own transaction on a fork. */
class PlainParticipant implements Participant {
  constructor(
    readonly key: string,
    readonly em: EntityManager,
  ) {}

  async prepare(): Promise<void> {}

  commit(): Promise<void> {
    return this.em.commit();
  }

  rollback(): Promise<void> {
    return this.em.isInTransaction() ? this.em.rollback() : Promise.resolve();
  }

  async release(): Promise<void> {}
}

/** Two-phase participants drive their own session; `ctx` is the EntityManager's transaction context. */
abstract class PreparedParticipant implements Participant {
  protected prepared = false;
  protected ctx: object;

  constructor(
    readonly key: string,
    readonly em: EntityManager,
    protected readonly session: HeldConnection,
    protected readonly gid: GlobalId,
  ) {
    this.ctx = session.client;
  }

  protected run(sql: string): Promise<unknown> {
    return this.session.run(sql, [], this.ctx);
  }

  abstract begin(): Promise<void>;
  abstract prepare(): Promise<void>;
  abstract commit(): Promise<void>;
  abstract rollback(): Promise<void>;

  async release(): Promise<void> {
    this.em.resetTransactionContext();
    await this.session.release();
  }
}

/** PostgreSQL: BEGIN … PREPARE TRANSACTION, then COMMIT PREPARED / ROLLBACK PREPARED. */
class PostgresParticipant extends PreparedParticipant {
  async begin(): Promise<void> {
    // a Kysely transaction on the held session, so savepoints (nested em.transactional) work inside
    this.ctx = await this.session.begin();
    this.em.setTransactionContext(this.ctx as never);
  }

  async prepare(): Promise<void> {
    await this.run(`prepare transaction '${formatGlobalId(this.gid)}'`);
    this.prepared = true;
  }

  async commit(): Promise<void> {
    await this.run(`commit prepared '${formatGlobalId(this.gid)}'`);
  }

  async rollback(): Promise<void> {
    await this.run(this.prepared ? `rollback prepared '${formatGlobalId(this.gid)}'` : 'rollback');
  }
}

/** MySQL/MariaDB: XA START … XA END, XA PREPARE, then XA COMMIT / XA ROLLBACK on the same session. */
class XaParticipant extends PreparedParticipant {
  async begin(): Promise<void> {
    await this.run(`xa start ${xaId(this.gid)}`);
    // XA branches accept savepoints: nested em.transactional() works inside
    this.ctx = this.session.savepointContext();
    this.em.setTransactionContext(this.ctx as never);
  }

  async prepare(): Promise<void> {
    await this.run(`xa end ${xaId(this.gid)}`);
    await this.run(`xa prepare ${xaId(this.gid)}`);
    this.prepared = true;
  }

  async commit(): Promise<void> {
    await this.run(`xa commit ${xaId(this.gid)}`);
  }

  async rollback(): Promise<void> {
    if (!this.prepared) {
      // a failed statement may have ended the branch already; XA ROLLBACK then still applies
      await this.run(`xa end ${xaId(this.gid)}`).catch(() => undefined);
    }
    await this.run(`xa rollback ${xaId(this.gid)}`);
  }
}

/** Can this driver prepare a transaction? */
export function canPrepare(driver: DriverName): boolean {
  return driver !== 'sqlite';
}

/**
 * Opens one database's share of a transaction on a fork of its current EntityManager (the request
 * context's, so entities it manages can be changed inside). Two-phase shares hold their own session.
 */
export async function openParticipant(
  key: string,
  orm: MikroORM,
  driver: DriverName,
  gid: GlobalId | undefined,
): Promise<Participant> {
  const em = orm.em.getContext(false).fork({ clear: false });
  if (gid === undefined) {
    await em.begin();
    return new PlainParticipant(key, em);
  }
  const session = await HeldConnection.open(orm.em.getConnection('write'));
  const participant =
    driver === 'postgresql' ? new PostgresParticipant(key, em, session, gid) : new XaParticipant(key, em, session, gid);
  try {
    await participant.begin();
  } catch (error) {
    await session.release();
    throw error;
  }
  return participant;
}
