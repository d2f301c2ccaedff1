import { type ArgumentsHost, Catch, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { MikroORM } from '@mikro-orm/core';

const DATABASE_KEY = Symbol.for('nestjs-multidb:database-key');

/** Network-level failures: the server is gone, restarting, refusing, or the pool cannot get a connection. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  '57P01', // PostgreSQL: admin shutdown
  '57P02',
  '57P03', // cannot connect now (starting up)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|terminating connection|timeout exceeded when trying to connect|Pool is closed|connect ECONNREFUSED/i;

/** The connection methods through which every query, transaction and connect of a database passes. */
const CONNECTION_METHODS = ['connect', 'execute', 'begin', 'commit', 'rollback', 'transactional'] as const;

/**
 * Marks every error a database raises with its key — the converted ones MikroORM throws for bad
 * queries and the raw ones of a connection that cannot be opened — so that a failure can be
 * reported for the database it belongs to (MikroORM's errors do not say which ORM they came from).
 */
export function tagErrorsWithKey(orm: MikroORM, key: string): void {
  const tag = (error: unknown): unknown => {
    if (typeof error === 'object' && error !== null && !(DATABASE_KEY in error)) {
      Object.defineProperty(error, DATABASE_KEY, { value: key, enumerable: false });
    }
    return error;
  };
  const driver = orm.driver as unknown as { connection?: object; replicas?: object[] };
  for (const connection of [driver.connection, ...(driver.replicas ?? [])]) {
    if (!connection) continue;
    const target = connection as Record<string, unknown>;
    for (const name of CONNECTION_METHODS) {
      const original = target[name];
      if (typeof original !== 'function') continue;
      target[name] = function (this: unknown, ...args: unknown[]) {
        try {
          const result = original.apply(this, args);
          return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(tag(error))) : result;
        } catch (error) {
          throw tag(error);
        }
      };
    }
  }
  const converter = orm.config.getPlatform().getExceptionConverter();
  const convert = converter.convertException.bind(converter);
  converter.convertException = (error) => tag(convert(error)) as ReturnType<typeof convert>;
}

/** The key of the database an error came from, when it is a database's error. */
export function databaseKeyOfError(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? (error as Record<symbol, string | undefined>)[DATABASE_KEY]
    : undefined;
}

/** Whether an error means the database cannot be reached right now (as opposed to a bad query). */
export function isUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isUnavailable(inner))) return true;
  }
  return false;
}

/**
 * Answers HTTP 503 naming the database when a request fails because its database cannot be
 * reached, instead of a 500; every other error goes to Nest's usual handling. The other databases'
 * requests are unaffected, and the pool reconnects by itself when the server is back.
 *
 * @example app.useGlobalFilters(new DatabaseUnavailableFilter(app.get(HttpAdapterHost).httpAdapter));
 * // or as a provider: { provide: APP_FILTER, useClass: DatabaseUnavailableFilter }
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const key = databaseKeyOfError(exception);
    if (key === undefined || !isUnavailable(exception) || host.getType() !== 'http') {
      super.catch(exception, host);
      return;
    }
    const response = host.switchToHttp().getResponse();
    const adapter = this.httpAdapterHost?.httpAdapter;
    const body = {
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: 'Service Unavailable',
      message: `Database '${key}' is unavailable right now; retry later.`,
      database: key,
    };
    if (adapter) adapter.reply(response, body, HttpStatus.SERVICE_UNAVAILABLE);
    else response.status(HttpStatus.SERVICE_UNAVAILABLE).json(body);
  }
}
