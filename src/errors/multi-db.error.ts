import { messages } from './messages.js';

/** Base class of every error this package throws for something a user can fix. */
export class MultiDbError extends Error {
  /** The database key the error is about, when there is one. */
  readonly key: string | undefined;

  constructor(message: string, options?: { key?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = this.constructor.name;
    this.key = options?.key;
  }
}

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
    readonly packageName: string,
    version: string,
    cause?: unknown,
  ) {
    super(messages.driverNotInstalled(key, packageName, version), { key, cause });
  }
}

/** An entity names a database key that is not configured, or is otherwise misplaced. */
export class EntityDatabaseError extends MultiDbError {
  constructor(
    message: string,
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
    readonly entity: string,
    keys: readonly string[],
  ) {
    super(messages.unregisteredEntity(entity, keys));
  }
}

/** A database could not be initialised or reached at start-up. */
export class DatabaseConnectionError extends MultiDbError {}
