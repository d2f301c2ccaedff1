import type { Connection } from '@mikro-orm/core';

/** The part of a Kysely instance we use (MikroORM's SQL drivers are built on Kysely). */
interface KyselyLike {
  connection(): { execute<T>(fn: (db: KyselyLike) => Promise<T>): Promise<T> };
  startTransaction(): { execute(): Promise<object> };
  executeQuery(query: unknown, options?: unknown): Promise<unknown>;
  getExecutor(): unknown;
}

/** A transaction context with Kysely's savepoint API, for MikroORM's nested transactions. */
interface SavepointContext {
  executeQuery(query: unknown, options?: unknown): Promise<unknown>;
  getExecutor(): unknown;
  savepoint(name: string): { execute(): Promise<SavepointContext> };
  releaseSavepoint(name: string): { execute(): Promise<SavepointContext> };
  rollbackToSavepoint(name: string): { execute(): Promise<SavepointContext> };
}

/** The part of MikroORM's SQL connection we use. */
interface SqlConnection {
  getClient(): KyselyLike;
  execute(sql: string, params: unknown[], method: 'all' | 'run', ctx?: object): Promise<unknown>;
}

/** Rows of a query, or what a statement did. */
export interface RunResult {
  affectedRows: number;
  insertId: number | undefined;
}

/**
 * One physical connection taken from a database's pool and held until `release()`. Two-phase commit
 * needs it: the transaction is begun, prepared and finished by our own statements on this session, so
 * MikroORM never sends a COMMIT or ROLLBACK of its own after a PREPARE, and the connection goes back
 * to the pool only once the session is clean.
 */
export class HeldConnection {
  private constructor(
    private readonly connection: SqlConnection,
    /** The single-connection Kysely: MikroORM's transaction context for the EntityManager. */
    readonly client: KyselyLike,
    readonly release: () => Promise<void>,
  ) {}

  /** Takes a connection from the pool of MikroORM's `connection` (a database's, or the coordinator's own). */
  static async open(connection: Connection): Promise<HeldConnection> {
    const sql = connection as unknown as SqlConnection;
    await connection.ensureConnection();
    return new Promise<HeldConnection>((resolve, reject) => {
      let done!: () => void;
      const finished = new Promise<void>((r) => {
        done = r;
      });
      const held = sql
        .getClient()
        .connection()
        .execute(async (client) => {
          resolve(
            new HeldConnection(sql, client, async () => {
              done();
              await held;
            }),
          );
          await finished;
        });
      held.catch(reject);
    });
  }

  /** A Kysely transaction on this session (BEGIN sent): savepoints work inside it. */
  async begin(): Promise<object> {
    return this.client.startTransaction().execute();
  }

  /**
   * The session as a transaction context that supports savepoints (nested `em.transactional()`),
   * for a transaction begun by our own statement (XA START) rather than Kysely's BEGIN. Each
   * savepoint gets an object of its own: MikroORM tags it with its name.
   */
  savepointContext(): SavepointContext {
    const statement = (sql: string, context: SavepointContext) => ({
      execute: async () => {
        await this.run(sql);
        return context;
      },
    });
    const context: SavepointContext = {
      executeQuery: (query, options) => this.client.executeQuery(query, options),
      getExecutor: () => this.client.getExecutor(),
      savepoint: (name) => statement(`savepoint ${name}`, this.savepointContext()),
      releaseSavepoint: (name) => statement(`release savepoint ${name}`, context),
      rollbackToSavepoint: (name) => statement(`rollback to savepoint ${name}`, context),
    };
    return context;
  }

  /** Rows of a query on this session (or inside `ctx`, a transaction begun on it). */
  async query<T>(sql: string, params: unknown[] = [], ctx: object = this.client): Promise<T[]> {
    return (await this.connection.execute(sql, params, 'all', ctx)) as T[];
  }

  /** Runs a statement on this session. */
  async run(sql: string, params: unknown[] = [], ctx: object = this.client): Promise<RunResult> {
    return (await this.connection.execute(sql, params, 'run', ctx)) as RunResult;
  }
}
