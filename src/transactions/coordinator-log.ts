import type { Logger } from '@nestjs/common';
import type { Connection, MikroORM } from '@mikro-orm/core';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { DatabaseClosedError } from '../errors/multi-db.error.js';
import { closeWithin } from '../orm/close-database.js';
import { installFailover } from '../orm/host-failover.js';
import { guardConnection } from '../orm/pool-guard.js';
import { type PoolStats, poolShapeOf, readPool } from '../orm/pool-stats.js';
import { logTag } from './global-id.js';
import { HeldConnection } from './held-connection.js';

/** Namespace of our PostgreSQL advisory locks (first half of the two-int key): 'mdbt'. */
const LOCK_NAMESPACE = 0x6d646274;

/** A row of the coordinator log: `started` until the decision, then `commit` (or `abort`, see settleLostDecision). */
export interface LogRow {
  id: number;
  status: 'started' | 'commit' | 'abort';
  /** The keys of the transaction's databases. */
  participants: string[];
}

/**
 * The coordinator log: one row per two-phase transaction, written before any database prepares and
 * updated to `commit` (durably, autocommit) before any database commits. While a transaction runs,
 * its owner holds a session lock named after the row: recovery leaves locked rows alone, and a
 * crashed owner's lock goes away with its connection.
 */
export class CoordinatorLog {
  readonly tag: string;
  readonly #postgres: boolean;
  /**
   * A pool of its own: a transaction holds its coordinator session from start to end, and taking it
   * from the pool its participant of the same database also draws from would deadlock once every
   * connection is held by a transaction waiting for a second one.
   */
  readonly #connection: Connection;
  readonly #shutdownTimeout: number;
  readonly #shape: { max: number; min: number };
  #created: Promise<void> | undefined;

  readonly key: string;

  constructor(
    config: ResolvedDatabase,
    private readonly orm: MikroORM,
    readonly table: string,
  ) {
    this.key = config.key;
    this.#postgres = config.driver === 'postgresql';
    this.tag = logTag(String(orm.config.get('dbName')), table);
    const ConnectionClass = orm.em.getConnection('write').constructor as new (config: MikroORM['config']) => Connection;
    this.#connection = new ConnectionClass(orm.config);
    this.#shutdownTimeout = config.shutdownTimeout;
    this.#shape = poolShapeOf(config);
    // the log follows its database's failover like the database's own pool
    installFailover(this.#connection, config.driver, config.hostLists[0], config);
    guardConnection(this.#connection, config.key, config.acquireTimeout, orm.config.get('pool')?.max);
  }

  /** Its own pool now (the bounds of its database's pool, which it copies). */
  poolStats(): PoolStats {
    return readPool(this.#connection, this.#shape.max, this.#shape.min);
  }

  /** A session on the coordinator database (locks are per session). */
  session(): Promise<HeldConnection> {
    return HeldConnection.open(this.#connection);
  }

  /** Closes the log's own pool like a database's (closeWithin): a transaction still holding a session gets the shutdown deadline. */
  async close(logger: Pick<Logger, 'warn'>): Promise<void> {
    await closeWithin({
      key: this.key,
      connections: [this.#connection],
      shutdownTimeout: this.#shutdownTimeout,
      refusal: () => new DatabaseClosedError(this.key),
      close: () => this.#connection.close(true),
      logger,
    });
  }

  /** Creates the log table once per process (idempotent). */
  ensureTable(session: HeldConnection): Promise<void> {
    // one creation per process; concurrent CREATE TABLE IF NOT EXISTS can still collide across
    // processes on PostgreSQL (duplicate type name): the table exists then, which is all we need
    this.#created ??= this.#createTable(session).catch(async (error: unknown) => {
      if (await this.tableExists()) return;
      this.#created = undefined;
      throw error;
    });
    return this.#created;
  }

  async #createTable(session: HeldConnection): Promise<void> {
    const ddl = this.#postgres
      ? `create table if not exists ${this.table} (id serial primary key, status varchar(16) not null, participants varchar(2000) not null, created_at timestamptz not null default now())`
      : `create table if not exists ${this.table} (id int auto_increment primary key, status varchar(16) not null, participants varchar(2000) not null, created_at timestamp not null default current_timestamp) engine = InnoDB`;
    await session.run(ddl);
  }

  /** Whether the log table exists; through the database's own pool, so apps that never ran a two-phase transaction open no log pool. */
  async tableExists(): Promise<boolean> {
    const sql = this.#postgres
      ? 'select 1 as found from information_schema.tables where table_schema = current_schema() and table_name = ?'
      : 'select 1 as found from information_schema.tables where table_schema = database() and table_name = ?';
    const rows = await this.orm.em.getConnection('write').execute<unknown[]>(sql, [this.table]);
    return rows.length > 0;
  }

  /** Writes a `started` row and takes its session lock (one statement on PostgreSQL). */
  async start(session: HeldConnection, keys: readonly string[]): Promise<{ id: number; locked: boolean }> {
    const insert = `insert into ${this.table} (status, participants) values ('started', ?)`;
    if (this.#postgres) {
      const sql = `with row as (${insert} returning id) select id, pg_try_advisory_lock(${LOCK_NAMESPACE}, id) as locked from row`;
      const [row] = await session.query<{ id: number; locked: boolean }>(sql, [keys.join(',')]);
      return { id: Number(row?.id), locked: row?.locked === true };
    }
    const id = Number((await session.run(insert, [keys.join(',')])).insertId);
    return { id, locked: await this.tryLock(session, id) };
  }

  /** After the last commit: removes the row and releases its lock (one statement on PostgreSQL). */
  async finish(session: HeldConnection, id: number): Promise<void> {
    if (!this.#postgres) {
      await this.forget(session, id);
      await this.unlock(session, id);
      return;
    }
    const sql = `with gone as (delete from ${this.table} where id = ?) select pg_advisory_unlock(${LOCK_NAMESPACE}, ?) as unlocked`;
    await session.query(sql, [id, id]);
  }

  /** The commit decision; false when the row is gone (a recovery run took it for abandoned). */
  async decideCommit(session: HeldConnection, id: number): Promise<boolean> {
    const sql = `update ${this.table} set status = 'commit' where id = ? and status = 'started'`;
    return (await session.run(sql, [id])).affectedRows === 1;
  }

  /**
   * When writing the decision failed (its connection dropped), whether it was written after all,
   * asked on a session of its own: either the row still says `started` and is turned to `abort`
   * (false: nothing may commit), or it says `commit` (true). The conditional update waits for a
   * decision still in flight, so the two cannot both win.
   */
  async settleLostDecision(id: number): Promise<boolean> {
    const session = await this.session();
    try {
      const sql = `update ${this.table} set status = 'abort' where id = ? and status = 'started'`;
      if ((await session.run(sql, [id])).affectedRows === 1) return false;
      return (await this.status(session, id)) === 'commit';
    } finally {
      await session.release();
    }
  }

  /** Removes a row; false when it was gone already. */
  async forget(session: HeldConnection, id: number): Promise<boolean> {
    return (await session.run(`delete from ${this.table} where id = ?`, [id])).affectedRows > 0;
  }

  async rows(session: HeldConnection): Promise<LogRow[]> {
    const rows = await session.query<{ id: number; status: LogRow['status']; participants: string }>(
      `select id, status, participants from ${this.table}`,
    );
    return rows.map((r) => ({ id: Number(r.id), status: r.status, participants: r.participants.split(',') }));
  }

  async status(session: HeldConnection, id: number): Promise<LogRow['status'] | undefined> {
    const [row] = await session.query<LogRow>(`select status from ${this.table} where id = ?`, [id]);
    return row?.status;
  }

  /** Takes the row's session lock without waiting; false when someone else holds it. */
  async tryLock(session: HeldConnection, id: number): Promise<boolean> {
    const sql = this.#postgres
      ? `select pg_try_advisory_lock(${LOCK_NAMESPACE}, ${id}) as locked`
      : `select get_lock('${this.#lockName(id)}', 0) as locked`;
    const [row] = await session.query<{ locked: boolean | number }>(sql);
    return row?.locked === true || Number(row?.locked) === 1;
  }

  async unlock(session: HeldConnection, id: number): Promise<void> {
    const sql = this.#postgres
      ? `select pg_advisory_unlock(${LOCK_NAMESPACE}, ${id}) as unlocked`
      : `select release_lock('${this.#lockName(id)}') as unlocked`;
    await session.query(sql);
  }

  /** MySQL/MariaDB lock names are server-wide: the tag keeps coordinator databases apart. */
  #lockName(id: number): string {
    return `multidb:${this.tag}:${id}`;
  }
}
