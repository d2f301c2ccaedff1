import type { MikroORM } from '@mikro-orm/core';
import { onKyselyDialect } from './kysely-dialect.js';
import { connectionsOf } from './pool-guard.js';
import { bindParameters } from './sqlite-parameters.js';

/** Compiled statements a SQLite connection keeps (the oldest goes first): an app's hot queries, not its one-offs. */
export const KEPT_STATEMENTS = 100;

/** Kysely's compiled query (Kysely is MikroORM's, not our dependency). */
interface CompiledQuery {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}
/** What runs a compiled query: Kysely itself, or the transaction a query belongs to. */
interface Executor {
  executeQuery(query: CompiledQuery, options?: unknown): Promise<unknown>;
}
/** The parts of MikroORM's AbstractSqlConnection this file wraps (7.2.1). */
interface SqlConnection {
  prepareQuery(query: unknown, params?: unknown): Prepared;
  execute(
    query: unknown,
    params?: unknown,
    method?: unknown,
    ctx?: Executor,
    loggerContext?: unknown,
  ): Promise<unknown>;
  getClient(): Executor;
  database?: NativeDatabase;
}
/** MikroORM's query as prepared for execution: the SQL and its params, and its text with the values written in. */
interface Prepared {
  readonly query: unknown;
  readonly params: unknown;
  readonly formatted: string;
}
/** better-sqlite3's Database and Statement, as Kysely's SqliteConnection uses them. */
interface NativeDatabase {
  prepare(sql: string): { readonly reader: boolean };
}
interface KyselyDriver {
  init(...args: unknown[]): Promise<void>;
  acquireConnection(): Promise<Executor>;
}
interface KyselyDialect {
  createDriver(): KyselyDriver;
}

/**
 * Lets SQLite reuse its compiled statements. MikroORM 7.2.1 writes every value into the SQL text
 * (`Platform.formatQuery`), so no two queries share a text and better-sqlite3 compiles each one
 * anew: about 10 µs, a fifth of the CPU of a `findOne` by primary key. On better-sqlite3
 * connections, a query whose values can be bound without changing what SQLite sees
 * (sqlite-parameters.ts) runs as its `?` template with the values bound, and the connection keeps
 * its last {@link KEPT_STATEMENTS} compiled templates. Logging, errors and results are MikroORM's:
 * it still prepares and logs the query as it always does. For SQLite ORMs only; must run before the
 * ORM connects, and before the connection guard (pool-guard.ts), whose checkout it does not go through.
 */
export function reuseSqliteStatements(orm: MikroORM): void {
  for (const connection of connectionsOf(orm) as unknown as SqlConnection[]) {
    const kept = { current: false }; // whether the connection's current pool keeps statements
    onKyselyDialect<KyselyDialect>(connection, (dialect) => {
      const database = connection.database;
      kept.current = false;
      if (typeof database?.prepare === 'function') keepStatementsOnInit(dialect, database, kept);
      return dialect;
    });
    bindWhenKept(connection, kept);
  }
}

/** Once the dialect's driver has its one connection, that connection keeps the statements of bound queries. */
function keepStatementsOnInit(dialect: KyselyDialect, database: NativeDatabase, kept: { current: boolean }): void {
  const createDriver = dialect.createDriver.bind(dialect);
  dialect.createDriver = () => {
    const driver = createDriver();
    const init = driver.init.bind(driver);
    // Kysely's SqliteDriver hands out its one connection, at once (taken before any guard wraps it)
    const connectionOf = driver.acquireConnection.bind(driver);
    driver.init = async (...args) => {
      await init(...args);
      kept.current = keepStatements(await connectionOf(), database);
    };
    return driver;
  };
}

/**
 * Kysely's SqliteConnection compiles each query with `database.prepare(sql)` and runs it at once,
 * synchronously: for a query with bound values, that one `prepare` is answered from the kept
 * statements. `prepare` called at any other time (streams, the app's own use of the database) is
 * better-sqlite3's own. False when the database's statements are not better-sqlite3's.
 */
function keepStatements(connection: Executor, database: NativeDatabase): boolean {
  const prepare = database.prepare;
  if (typeof prepare !== 'function' || typeof connection.executeQuery !== 'function') return false;
  const statements = new Map<string, { readonly reader: boolean }>();
  let reuse = false;
  database.prepare = function (this: NativeDatabase, sql: string) {
    if (!reuse) return prepare.call(this, sql);
    reuse = false;
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = prepare.call(this, sql);
      if (statements.size >= KEPT_STATEMENTS) statements.delete(statements.keys().next().value as string);
      statements.set(sql, statement);
    }
    return statement;
  };
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = (query, options) => {
    reuse = query.parameters.length > 0;
    try {
      return execute(query, options);
    } finally {
      reuse = false;
    }
  };
  return true;
}

/**
 * MikroORM's `execute` prepares the query (`prepareQuery`) and hands Kysely its text with the values
 * written in, in one synchronous stretch: the executor it is given here swaps that text for the
 * bound template. Anything else goes through untouched.
 */
function bindWhenKept(connection: SqlConnection, kept: { readonly current: boolean }): void {
  const prepareQuery = connection.prepareQuery;
  const execute = connection.execute;
  let prepared: Prepared | undefined;
  connection.prepareQuery = function (this: SqlConnection, query, params) {
    const done = prepareQuery.call(this, query, params);
    if (kept.current) prepared = done; // held until `run` takes it, within the same synchronous stretch
    return done;
  };
  const run = (executor: Executor, query: CompiledQuery, options: unknown) => {
    const last = prepared;
    prepared = undefined;
    const bound =
      last !== undefined && last.formatted === query.sql ? bindParameters(last.query, last.params) : undefined;
    return executor.executeQuery(bound ? { ...query, sql: bound.sql, parameters: bound.values } : query, options);
  };
  const viaClient: Executor = { executeQuery: (query, options) => run(connection.getClient(), query, options) };
  connection.execute = function (this: SqlConnection, query, params, method, ctx, loggerContext) {
    if (!kept.current) return execute.call(this, query, params, method, ctx, loggerContext);
    const executor = ctx === undefined ? viaClient : { executeQuery: (q: CompiledQuery, o: unknown) => run(ctx, q, o) };
    return execute.call(this, query, params, method, executor, loggerContext);
  };
}
