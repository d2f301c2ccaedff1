import { messages } from './messages.js';
import { MultiDbError } from './multi-db-error-base.js';

export { MultiDbError } from './multi-db-error-base.js';
export * from './tenant-errors.js';

/** The module options are not usable (missing, empty or mistyped `databases`, no `default`). */
export class InvalidOptionsError extends MultiDbError {}

/** A database URL cannot be parsed or lacks a required part. */
export class MalformedUrlError extends MultiDbError {}

/** A database URL's scheme names no supported driver. */
export class UnsupportedSchemeError extends MultiDbError {}

/** The driver package a database needs is not installed. */
export class DriverNotInstalledError extends MultiDbError {
  constructor(
    key: string,
    /** The npm package to install, e.g. `@mikro-orm/postgresql`. */
    readonly packageName: string,
    version: string,
    cause?: unknown,
  ) {
    super(messages.driverNotInstalled(key, packageName, version), { key, cause });
  }
}

/** An entity names a database key that is not configured, or is otherwise misplaced (an invalid option too). */
export class EntityDatabaseError extends InvalidOptionsError {
  constructor(
    message: string,
    /** The entity's name. */
    readonly entity: string,
    key?: string,
  ) {
    super(message, key === undefined ? undefined : { key });
  }
}

/** A database key passed at call time is not configured. */
export class UnknownDatabaseError extends MultiDbError {
  constructor(key: string, keys: readonly string[]) {
    super(messages.unknownKey(key, keys), { key });
  }
}

/** An entity used at call time was registered with no database. */
export class UnregisteredEntityError extends MultiDbError {
  constructor(
    /** The entity's name. */
    readonly entity: string,
    keys: readonly string[],
  ) {
    super(messages.unregisteredEntity(entity, keys));
  }
}

/** A database could not be initialised or reached at start-up. */
export class DatabaseConnectionError extends MultiDbError {}

/**
 * Every pooled connection of a database stayed busy for the whole acquire timeout (or the server
 * did not accept a new one in time). The request fails instead of queueing forever; the pool is
 * unharmed and serves the next request as soon as a connection is free.
 */
export class PoolTimeoutError extends MultiDbError {
  /** Marks it as a database being unavailable right now (HTTP 503 through DatabaseUnavailableFilter). */
  readonly code = 'MULTIDB_POOL_TIMEOUT';

  constructor(key: string, timeoutMs: number, poolMax: number | undefined) {
    super(messages.poolTimeout(key, timeoutMs, poolMax), { key });
  }
}

/** `@mikro-orm/migrations` is not installed but a migration feature was used. */
export class MigrationsNotInstalledError extends MultiDbError {}

/** The outcome of one database in an operation over several. */
export type KeyOutcome<T> =
  | {
      /** The database key. */
      key: string;
      /** It succeeded. */
      ok: true;
      /** What it returned. */
      value: T;
      /** How long it took. */
      ms: number;
    }
  | {
      /** The database key. */
      key: string;
      /** It failed. */
      ok: false;
      /** Why (its message names the key). */
      error: Error;
      /** How long it took until it failed. */
      ms: number;
    };

/**
 * An operation over several databases failed for some of them. Each database ran on its own:
 * `outcomes` says which succeeded (with their results) and which failed (with their errors).
 */
export class DatabaseOperationError<T = unknown> extends MultiDbError {
  constructor(
    /** What was run, e.g. `migration:up`. */
    readonly operation: string,
    /** Every key's outcome, failed and succeeded. */
    readonly outcomes: KeyOutcome<T>[],
  ) {
    const failed = outcomes.flatMap((o) => (o.ok ? [] : [{ key: o.key, message: o.error.message }]));
    const succeeded = outcomes.flatMap((o) => (o.ok ? [o.key] : []));
    super(
      messages.operationFailed(operation, failed, succeeded),
      failed.length === 1 ? { key: failed[0]?.key } : undefined,
    );
  }

  /** The keys that failed. */
  get failedKeys(): string[] {
    return this.outcomes.flatMap((o) => (o.ok ? [] : [o.key]));
  }
}

/** A cross-database transaction cannot run as asked (a participant that cannot prepare, a server setting, a privilege). */
export class TransactionSetupError extends MultiDbError {}

/**
 * A cross-database transaction failed. `committed` lists the keys whose writes are durable, `rolledBack`
 * the keys whose writes were undone; when both are non-empty the databases are inconsistent (commits
 * without `twoPhase`, one after another).
 */
export class TransactionFailedError extends MultiDbError {
  constructor(
    message: string,
    /** Keys whose transaction was committed before the failure. */
    readonly committed: readonly string[],
    /** Keys whose transaction was rolled back (or never committed). */
    readonly rolledBack: readonly string[],
    options?: { key?: string; cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Recovery of in-doubt two-phase transactions failed for a database. */
export class TransactionRecoveryError extends MultiDbError {}

/**
 * A database was used after it was closed (`DbService.close()`, application shutdown): its ORM,
 * EntityManagers, repositories and connections refuse work instead of opening a new pool.
 */
export class DatabaseClosedError extends MultiDbError {
  /** Marks it as a database being unavailable right now (HTTP 503 through DatabaseUnavailableFilter). */
  readonly code = 'MULTIDB_DATABASE_CLOSED';

  constructor(key: string) {
    super(messages.databaseClosed(key), { key });
  }
}

/**
 * A database does not exist on its server (or a SQLite file does not exist) and is not to be
 * created: `ensureDatabase: false`, or a CLI command that never creates databases.
 */
export class DatabaseMissingError extends DatabaseConnectionError {
  /** Marks it as a database being unavailable (HTTP 503 through DatabaseUnavailableFilter). */
  readonly code = 'MULTIDB_DATABASE_MISSING';

  constructor(
    key: string,
    /** The URL, password masked. */
    readonly url: string,
    /** The database name, or the SQLite file's path. */
    readonly database: string,
    /** Whether `database` is a SQLite file. */
    readonly file: boolean,
    cause?: unknown,
  ) {
    super(messages.databaseMissing(key, url, database, file), { key, cause });
  }
}

/**
 * No server of a database's host list could be used: each one refused, timed out, or answered in
 * the wrong role for its `targetSessionAttrs` (a standby when `read-write` is asked). The message
 * names the key, the masked URL and every host with its reason. A database being unavailable
 * right now (HTTP 503 through DatabaseUnavailableFilter); the next connection tries the list again.
 */
export class NoUsableHostError extends DatabaseConnectionError {
  /** Marks it as a database being unavailable (HTTP 503 through DatabaseUnavailableFilter). */
  readonly code = 'MULTIDB_NO_HOST';

  constructor(
    key: string,
    /** The URL, password masked. */
    readonly url: string,
    /** The `targetSessionAttrs` asked for. */
    readonly target: string,
    /** Every host of the list, `host:port`. */
    readonly hosts: readonly string[],
    /** Why each host was passed over, in the order of `hosts`. */
    readonly reasons: readonly string[],
    cause?: unknown,
  ) {
    super(messages.noHostAnswered(key, url, target, hosts, reasons), { key, cause });
  }
}
/** `nestjs-multidb/metrics` was used without the optional peer `prom-client` installed, or its metrics clash in a registry. */
export class MetricsSetupError extends MultiDbError {}
