import { type ArgumentsHost, Catch, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { MikroORM } from '@mikro-orm/core';
import { connectionsOf } from '../orm/pool-guard.js';
import {
  DatabaseClosedError,
  DatabaseConnectionError,
  InvalidTenantKeyError,
  MultiDbError,
  NoTenantError,
  TenantBusyError,
  TenantError,
  UnknownTenantError,
} from './multi-db.error.js';
import { carryConnectMark, isUnavailable } from './unavailable.js';

const DATABASE_KEY = Symbol.for('nestjs-multidb:database-key');

/** The connection methods through which every query, transaction and connect of a database passes. */
const CONNECTION_METHODS = ['connect', 'execute', 'begin', 'commit', 'rollback', 'transactional'] as const;

/**
 * Marks every error a database raises with its key — the converted ones MikroORM throws for bad
 * queries and the raw ones of a connection that cannot be opened — so that a failure can be
 * reported for the database it belongs to (MikroORM's errors do not say which ORM they came from).
 * (Errors raised while a connection is being opened are marked as such by the connection guard,
 * orm/pool-guard.ts, which every ORM of ours gets too.)
 */
export function tagErrorsWithKey(orm: MikroORM, key: string): void {
  const tag = (error: unknown): unknown => tagError(error, key);
  // one rejection handler per key, not a closure per call: a query pays for the one reaction
  const rethrowTagged = (error: unknown): never => {
    throw tag(error);
  };
  for (const target of connectionsOf(orm)) {
    for (const name of CONNECTION_METHODS) {
      const original = target[name];
      if (typeof original !== 'function') continue;
      target[name] = function (this: unknown, ...args: unknown[]) {
        try {
          const result = original.apply(this, args);
          return result instanceof Promise ? result.then(undefined, rethrowTagged) : result;
        } catch (error) {
          throw tag(error);
        }
      };
    }
  }
  const converter = orm.config.getPlatform().getExceptionConverter();
  const convert = converter.convertException.bind(converter);
  // our own errors (PoolTimeoutError) reach users as they are, not as a DriverException copy
  converter.convertException = (error) =>
    tag(error instanceof MultiDbError ? error : carryConnectMark(error, convert(error))) as ReturnType<typeof convert>;
}

/** Marks an error with the key of the database it came from (the first mark stays). */
export function tagError<E>(error: E, key: string): E {
  if (typeof error === 'object' && error !== null && !(DATABASE_KEY in error)) {
    Object.defineProperty(error, DATABASE_KEY, { value: key, enumerable: false });
  }
  return error;
}

/** The key of the database an error came from, when it is a database's error. */
export function databaseKeyOfError(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? (error as Record<symbol, string | undefined>)[DATABASE_KEY]
    : undefined;
}

/** How `DatabaseUnavailableFilter` answers requests whose tenant cannot be used. */
export interface DatabaseUnavailableFilterOptions {
  /**
   * `'uniform'`: an unknown tenant and an invalid tenant key get the same answer (404, same body),
   * so that a client cannot probe which tenants exist or what keys look like. `'distinct'`: 404 for
   * an unknown tenant, 400 for an invalid key. The tenant key is never echoed in either.
   * @default 'uniform'
   */
  tenantErrors?: 'uniform' | 'distinct';
}

type Reply = { status: HttpStatus; error: string; message: string };
const NOT_FOUND: Reply = { status: HttpStatus.NOT_FOUND, error: 'Not Found', message: 'Unknown tenant.' };
const unavailable = (message: string): Reply => ({
  status: HttpStatus.SERVICE_UNAVAILABLE,
  error: 'Service Unavailable',
  message,
});

/** What a tenant error means to an HTTP client: status and a message naming no tenant and giving no server-side advice. */
function tenantReply(error: TenantError, options: DatabaseUnavailableFilterOptions): Reply {
  if (error instanceof UnknownTenantError) return NOT_FOUND;
  if (error instanceof InvalidTenantKeyError)
    return options.tenantErrors === 'distinct'
      ? { status: HttpStatus.BAD_REQUEST, error: 'Bad Request', message: 'Invalid tenant key.' }
      : NOT_FOUND;
  if (error instanceof NoTenantError)
    return { status: HttpStatus.BAD_REQUEST, error: 'Bad Request', message: 'This request needs a tenant.' };
  if (error instanceof TenantBusyError) return unavailable('Every tenant database is busy right now; retry later.');
  return unavailable('This tenant is unavailable right now; retry later.');
}

/**
 * Answers HTTP 503 naming the database when a request fails because its database cannot be
 * reached or is closed (DatabaseClosedError, during shutdown), instead of a 500; every other error goes to Nest's usual handling. The other databases'
 * requests are unaffected, and the pool reconnects by itself when the server is back. A tenant
 * that cannot be used gets 404 (unknown tenant or invalid key alike, see
 * `DatabaseUnavailableFilterOptions`), 400 (no tenant where one is needed) or 503 (every tenant
 * database busy for `tenants.slotTimeout`, or its database closing), naming the template key but
 * never the tenant key the client sent.
 *
 * @example app.useGlobalFilters(new DatabaseUnavailableFilter(app.get(HttpAdapterHost).httpAdapter));
 * // or as a provider: { provide: APP_FILTER, useClass: DatabaseUnavailableFilter }
 * // with options: { provide: APP_FILTER, useClass: DatabaseUnavailableFilter.withOptions({ tenantErrors: 'distinct' }) }
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter {
  /** How tenant errors are answered; set through `withOptions`. */
  protected readonly options: DatabaseUnavailableFilterOptions = {};

  /** This filter with options: a subclass for `useClass` (Nest creates it) or `new` (with the HTTP adapter). */
  static withOptions(options: DatabaseUnavailableFilterOptions): typeof DatabaseUnavailableFilter {
    const chosen = { ...options };
    // the same name in logs and stack traces as the filter it configures
    const configured = {
      DatabaseUnavailableFilter: class extends DatabaseUnavailableFilter {
        protected override readonly options = chosen;
      },
    };
    return configured.DatabaseUnavailableFilter; // @Catch() is inherited
  }

  /** Nest calls it for every unhandled error: 503 for a database that is away, Nest's usual handling otherwise. */
  override catch(exception: unknown, host: ArgumentsHost): void {
    // our own refusals: a closed database (DbService.createAll), a database opened on demand (a tenant's) that cannot be opened
    const key =
      databaseKeyOfError(exception) ??
      (exception instanceof DatabaseClosedError || exception instanceof DatabaseConnectionError
        ? exception.key
        : undefined);
    if (host.getType() !== 'http') {
      super.catch(exception, host);
    } else if (exception instanceof TenantError) {
      const { status, ...reply } = tenantReply(exception, this.options);
      this.#reply(host, status, { statusCode: status, ...reply, database: exception.key });
    } else if (key === undefined || !isUnavailable(exception)) {
      super.catch(exception, host);
    } else {
      this.#reply(host, HttpStatus.SERVICE_UNAVAILABLE, {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: `Database '${key}' is unavailable right now; retry later.`,
        database: key,
      });
    }
  }

  #reply(host: ArgumentsHost, status: HttpStatus, body: object): void {
    const response = host.switchToHttp().getResponse();
    const adapter = this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
    if (adapter) adapter.reply(response, body, status);
    else response.status(status).json(body);
  }
}
